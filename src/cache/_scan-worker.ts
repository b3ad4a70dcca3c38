/**
 * Worker thread for scan-closure: scans batches of units sent by _scan-pool.ts.
 * Does nothing when imported anywhere else (the pool imports it for its URL).
 */
import { parentPort, workerData } from "node:worker_threads";
import { newWindowBuffer, scanUnit, type ScanUnit, type UnitResult } from "./_scan-file.js";

export const SCAN_WORKER_ROLE = "hostplane-scan-closure";
export const SCAN_WORKER_URL = new URL(import.meta.url);

export type FromScanWorker = { type: "results"; results: UnitResult[] } | { type: "error"; message: string };

const port = parentPort;
if (port !== null && (workerData as { role?: unknown } | null)?.role === SCAN_WORKER_ROLE) {
  let buf: Buffer | undefined;
  port.on("message", (batch: ScanUnit[]) => {
    try {
      buf ??= newWindowBuffer();
      const window = buf;
      port.postMessage({ type: "results", results: batch.map((u) => scanUnit(u, window)) } satisfies FromScanWorker);
    } catch (err) {
      port.postMessage({ type: "error", message: (err as Error).stack ?? String(err) } satisfies FromScanWorker);
    }
  });
}
