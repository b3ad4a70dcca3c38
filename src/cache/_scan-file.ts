/**
 * Reads one file, or a run of its windows, and scans it for secrets: the unit
 * of work scan-closure hands to a thread. Synchronous on purpose — it runs in
 * worker threads and between yields on the main thread. Private to src/cache.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { LEAD_BYTES, TAIL_BYTES, WINDOW_BYTES, windowFindings, windowRange, type RawFinding } from "./_scan-window.js";

export interface ScanUnit {
  /** Index of the file in scan-closure's file list; results come back under it. */
  file: number;
  /** Real filesystem path. */
  abs: string;
  /** Windows [fromWindow, toWindow) of the file; toWindow is Infinity for "until end of file". */
  fromWindow: number;
  toWindow: number;
}

export interface UnitResult {
  file: number;
  /** Bytes of the file this unit owned and scanned. */
  bytes: number;
  findings: RawFinding[];
  /** Set when the file could not be opened or read; findings before the failure are kept. */
  error?: string;
}

/** A buffer that holds one window; reuse it for every unit of a thread. */
export function newWindowBuffer(): Buffer {
  return Buffer.allocUnsafe(WINDOW_BYTES + LEAD_BYTES + TAIL_BYTES);
}

function readAt(fd: number, buf: Buffer, length: number, position: number): number {
  let n = 0;
  while (n < length) {
    const got = readSync(fd, buf, n, length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

export function scanUnit(unit: ScanUnit, buf: Buffer): UnitResult {
  const result: UnitResult = { file: unit.file, bytes: 0, findings: [] };
  let fd: number;
  try {
    fd = openSync(unit.abs, "r");
  } catch (err) {
    result.error = `cannot open: ${(err as Error).message}`;
    return result;
  }
  try {
    for (let k = unit.fromWindow; k < unit.toWindow; k++) {
      const w = windowRange(k);
      const end = w.from + readAt(fd, buf, w.to - w.from, w.from);
      if (k > unit.fromWindow && end <= w.ownedFrom) break; // the file ended exactly at the previous window's edge
      // latin1: every byte is one char, so binary files decode without replacement noise and offsets stay byte offsets.
      const text = buf.toString("latin1", 0, end - w.from);
      for (const f of windowFindings(text, w.from, w.ownedFrom, w.ownedTo)) result.findings.push(f);
      result.bytes += Math.max(0, Math.min(end, w.ownedTo) - w.ownedFrom);
      if (end <= w.ownedTo) break;
    }
  } catch (err) {
    result.error = `read failed after ${result.bytes} bytes: ${(err as Error).message}`;
  } finally {
    closeSync(fd);
  }
  return result;
}
