/**
 * Runs scan units on `threads` threads: the main thread and `threads - 1`
 * workers pull batches from one queue, largest units first. Secret detection
 * is CPU-bound regex work with little allocation, so unlike guard's lint it
 * gains from every core. Small jobs run inline. Private to src/cache.
 */
import { Worker } from "node:worker_threads";
import { newWindowBuffer, scanUnit, type ScanUnit, type UnitResult } from "./_scan-file.js";
import { SCAN_WORKER_ROLE, SCAN_WORKER_URL, type FromScanWorker } from "./_scan-worker.js";

/** Below this much data, starting workers (~40 ms each) costs more than it saves. */
const INLINE_BELOW_BYTES = 32 << 20;
const BATCH_BYTES = 16 << 20;
const BATCH_UNITS = 512;

export interface SizedUnit {
  unit: ScanUnit;
  bytes: number;
}

function makeBatches(units: readonly SizedUnit[]): ScanUnit[][] {
  const sorted = [...units].sort((a, b) => b.bytes - a.bytes);
  const batches: ScanUnit[][] = [];
  let current: ScanUnit[] = [];
  let bytes = 0;
  for (const u of sorted) {
    current.push(u.unit);
    bytes += u.bytes;
    if (bytes >= BATCH_BYTES || current.length >= BATCH_UNITS) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runUnits(units: readonly SizedUnit[], threads: number, onResult: (r: UnitResult) => void): Promise<void> {
  const batches = makeBatches(units);
  const total = units.reduce((n, u) => n + u.bytes, 0);
  const workerCount = total < INLINE_BELOW_BYTES ? 0 : Math.min(threads - 1, batches.length - 1);
  const buf = newWindowBuffer();
  let next = 0;
  const workers = Array.from({ length: Math.max(0, workerCount) }, () => new Worker(SCAN_WORKER_URL, { workerData: { role: SCAN_WORKER_ROLE } }));
  const state: { failure: Error | null } = { failure: null };
  try {
    const fromWorkers = workers.map((w) => new Promise<void>((resolveWorker, rejectWorker) => {
      // Two batches in flight, so a worker never idles while the main thread is busy with its own batch.
      let inFlight = 0;
      const feed = (): void => {
        while (inFlight < 2 && next < batches.length && !state.failure) {
          w.postMessage(batches[next++]!);
          inFlight++;
        }
        if (inFlight === 0) resolveWorker();
      };
      w.on("message", (msg: FromScanWorker) => {
        if (msg.type === "error") return rejectWorker(new Error(`scan-closure worker failed: ${msg.message}`));
        inFlight--;
        try {
          for (const r of msg.results) onResult(r);
        } catch (err) {
          return rejectWorker(err instanceof Error ? err : new Error(String(err)));
        }
        feed();
      });
      w.on("error", rejectWorker);
      w.on("exit", (code) => rejectWorker(new Error(`scan-closure worker exited early with code ${code}`)));
      feed();
    }).catch((err: unknown) => {
      state.failure ??= err instanceof Error ? err : new Error(String(err));
    }));
    // The main thread scans too, one batch at a time, yielding so worker messages and timers run.
    while (next < batches.length && !state.failure) {
      for (const u of batches[next++]!) onResult(scanUnit(u, buf));
      await yieldToEvents();
    }
    await Promise.all(fromWorkers);
    if (state.failure) throw state.failure;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
