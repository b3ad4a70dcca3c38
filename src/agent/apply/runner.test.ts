import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Operation } from "../wire.js";
import type { ApplyEngine } from "./engine.js";
import { Journal, type JournalRead } from "./journal.js";
import { KEEP_FINISHED_JOURNALS, OperationRunner } from "./runner.js";

const op = (epoch: number): Operation => ({ id: `op_${String(epoch).padStart(3, "0")}`, epoch } as unknown as Operation);

test("at start, finished journals beyond the newest 20 are removed; unfinished ones and the newest are kept and resumed", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hp-runner-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const journal = new Journal(dir);
  const at = new Date(0).toISOString();
  // Epochs 1-30 finished, except 3 which a crash left mid-activation.
  for (let epoch = 1; epoch <= 30; epoch++) {
    const o = op(epoch);
    await journal.append(o.id, { step: "received", at, epoch, ok: true, op: o });
    await journal.append(o.id, epoch === 3 ? { step: "activating", at, epoch, ok: true } : { step: "committed", at, epoch, ok: true });
  }
  const recovered: string[] = [];
  const engine = { recover: (j: JournalRead) => { recovered.push(j.id); return Promise.resolve("committed"); }, apply: () => Promise.resolve("committed") } as unknown as ApplyEngine;
  const runner = new OperationRunner({ engine, journal, log: () => {}, signal: new AbortController().signal });
  runner.start();
  await runner.idle();
  assert.deepEqual(recovered, ["op_003", "op_030"], "the unfinished one resumed, the newest re-reported");
  const left = (await readdir(journal.dir)).map((n) => n.replace(".jsonl", "")).sort();
  // 28 finished journals besides the newest: the 20 newest of them stay, with the unfinished op_003 and the newest op_030.
  assert.equal(KEEP_FINISHED_JOURNALS, 20);
  assert.deepEqual(left, ["op_003", ...Array.from({ length: 20 }, (_, i) => op(10 + i).id), "op_030"]);
  // The epoch fence survives the pruning: a pruned operation offered again is refused, not applied.
  runner.offer(op(5));
  await runner.idle();
  assert.deepEqual(recovered, ["op_003", "op_030"]);
});
