/** Worker thread: lints batches of files sent by the pool in `pool.ts`. */
import { parentPort } from "node:worker_threads";
import type { LintOptions } from "../../guard/lint.js";
import type { GuardTarget } from "./collect.js";
import { lintTarget } from "./lint-target.js";

export type ToWorker = { type: "init"; options: LintOptions } | { type: "batch"; id: number; targets: GuardTarget[] };

let options: LintOptions | null = null;
parentPort?.on("message", (msg: ToWorker) => {
  if (msg.type === "init") {
    options = msg.options;
    return;
  }
  try {
    const results = msg.targets.map((t) => lintTarget(t, options!));
    parentPort!.postMessage({ type: "result", id: msg.id, results });
  } catch (err) {
    parentPort!.postMessage({ type: "error", id: msg.id, message: (err as Error).stack ?? String(err) });
  }
});
