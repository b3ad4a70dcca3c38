/**
 * Lint many files on all cores: the main thread and `jobs - 1` worker threads
 * pull batches (largest files first) from one queue until it is empty. Small
 * jobs run inline — starting workers costs more than it saves below a few
 * megabytes.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { statSync } from "node:fs";
import type { LintOptions } from "../../guard/lint.js";
import type { GuardTarget } from "./collect.js";
import { lintTarget, type FileResult } from "./lint-target.js";

const INLINE_BELOW_BYTES = 4 << 20;
const BATCH_BYTES = 256 << 10;
/** A larger young generation halves scavenges for this allocation-heavy work (measured in bench/). */
const WORKER_YOUNG_GENERATION_MB = 48;

type FromWorker = { type: "result"; id: number; results: FileResult[] } | { type: "error"; id: number; message: string };

function makeBatches(targets: GuardTarget[]): GuardTarget[][] {
  // Biggest files first, so no thread is left with one huge file at the end.
  const sorted = [...targets].sort((a, b) => b.size - a.size);
  const batches: GuardTarget[][] = [];
  let current: GuardTarget[] = [];
  let bytes = 0;
  for (const t of sorted) {
    current.push(t);
    bytes += t.size;
    if (bytes >= BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length) batches.push(current);
  return batches;
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function lintTargets(targets: GuardTarget[], options: LintOptions, jobs?: number): Promise<FileResult[]> {
  // Default: leave one core to V8's own background threads (GC, JIT). On the 2-core machines
  // measured in bench/ a second linting thread did not finish sooner; with more cores it does.
  const threads = Math.max(1, Math.min(jobs ?? availableParallelism() - 1, 16));
  if (threads === 1 || targets.length < 8) return targets.map((t) => lintTarget(t, options));
  for (const t of targets) if (t.size < 0) t.size = statSync(t.abs, { throwIfNoEntry: false })?.size ?? 0;
  const total = targets.reduce((n, t) => n + t.size, 0);
  if (total < INLINE_BELOW_BYTES) return targets.map((t) => lintTarget(t, options));

  const batches = makeBatches(targets);
  const results: FileResult[] = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(threads - 1, batches.length) }, () =>
    new Worker(new URL("./worker.js", import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } }));
  // Set by whichever worker fails first; an object so TypeScript sees writes from the callbacks.
  const state: { failure: Error | null } = { failure: null };
  try {
    const fromWorkers = workers.map((w) => new Promise<void>((resolveWorker, rejectWorker) => {
      const feed = (): void => {
        if (next >= batches.length || state.failure) return resolveWorker();
        const id = next++;
        w.postMessage({ type: "batch", id, targets: batches[id]! });
      };
      w.on("message", (msg: FromWorker) => {
        if (msg.type === "error") return rejectWorker(new Error(`guard worker failed: ${msg.message}`));
        results.push(...msg.results);
        feed();
      });
      w.on("error", rejectWorker);
      w.on("exit", (code) => { if (code !== 0) rejectWorker(new Error(`guard worker exited with code ${code}`)); });
      w.postMessage({ type: "init", options });
      feed();
    }).catch((err: unknown) => {
      state.failure ??= err instanceof Error ? err : new Error(String(err));
    }));
    // The main thread lints too, one batch at a time, yielding so worker messages are handled.
    while (next < batches.length && !state.failure) {
      const batch = batches[next++]!;
      for (const t of batch) results.push(lintTarget(t, options));
      await yieldToEvents();
    }
    await Promise.all(fromWorkers);
    if (state.failure) throw state.failure;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
