/**
 * `hostplane cache scan-closure`: reads every regular file and symlink target
 * of a closure's store paths and runs guard's secret detectors over the bytes,
 * reporting store path, file, rule and a masked value — never the value. This
 * catches secrets that reach the store through evaluation, which no source
 * linter sees. Bytes are decoded as latin1, so binaries are scanned for
 * embedded PEM blocks and tokens without decoding noise and offsets are byte
 * offsets. Files are read in 4 MiB windows (see _scan-window.ts) on every core.
 *
 * Unreadable entries land in `skipped`; only arguments that are not store
 * paths abort the call (ScanClosureError), before anything is read.
 */
import { availableParallelism } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { runUnits, type SizedUnit } from "./_scan-pool.js";
import { walkStorePath, type WalkOutput, type WalkedFile } from "./_scan-walk.js";
import { WINDOW_BYTES, dropOverlaps, windowFindings, type RawFinding } from "./_scan-window.js";
import { STORE_DIR, baseNameProblem } from "./_store-path.js";

export interface ScanClosureOptions {
  /** Store paths of the closure, as `/nix/store/<hash>-<name>` or `<storeDir>/<hash>-<name>`. */
  paths: readonly string[];
  /** Where the store's files really are, e.g. `<root>/nix/store` for a chroot store. Default `/nix/store`. */
  storeDir?: string;
  /** Called while scanning, at most every 200 ms, and once at the end. */
  onProgress?: (progress: ScanProgress) => void;
  /** Files larger than this are not read but listed in `skipped`. Default: no limit. */
  maxFileBytes?: number;
  /** Threads that scan (default: all cores). */
  jobs?: number;
}

export interface ScanProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
}

export interface ClosureFinding {
  storePath: string;
  /** Path inside the store path ("" when the store path itself is the file or symlink). */
  file: string;
  ruleId: string;
  /** Byte offset in the file, or in the symlink's target string. */
  offset: number;
  /** maskSecret() of the value: at most 4 leading characters and the length. */
  masked: string;
  source: "content" | "symlink-target";
}

export interface ScanClosureResult {
  /** Regular files read completely. */
  files: number;
  /** Bytes of file content scanned. */
  bytes: number;
  findings: ClosureFinding[];
  skipped: { path: string; reason: string }[];
}

export class ScanClosureError extends Error {
  override readonly name = "ScanClosureError";
}

/** Windows per unit of work: big files are split so that every thread gets a share. */
const UNIT_WINDOWS = 4;
const PROGRESS_EVERY_MS = 200;

interface Target {
  storePath: string;
  real: string;
}

/** Maps each argument to its directory on disk; throws one error naming every argument that is not a store path. */
function resolveTargets(paths: readonly string[], storeDir: string): Target[] {
  const problems: string[] = [];
  const seen = new Map<string, Target>();
  for (const p of paths) {
    const abs = resolve(p);
    const dir = dirname(abs);
    const base = basename(abs);
    if (dir !== storeDir && dir !== STORE_DIR) {
      problems.push(`'${p}' is outside the store directory ${storeDir}${storeDir === STORE_DIR ? "" : ` (and is not under ${STORE_DIR})`}`);
      continue;
    }
    const bad = baseNameProblem(base);
    if (bad !== null) problems.push(`'${p}': ${bad}`);
    else if (!seen.has(abs)) seen.set(abs, { storePath: abs, real: join(storeDir, base) });
  }
  if (problems.length > 0) {
    throw new ScanClosureError(
      `Cannot scan the closure: ${problems.join("; ")}. Pass the closure's store paths, <store dir>/<32-char hash>-<name> ` +
        `(e.g. from 'nix-store --query --requisites'), and set storeDir to where that store's files are.`,
    );
  }
  return [...seen.values()];
}

/** Splits files into units of at most UNIT_WINDOWS windows; files over `maxFileBytes` are skipped instead. */
function planUnits(files: readonly WalkedFile[], maxFileBytes: number, skipped: WalkOutput["skipped"]): SizedUnit[] {
  const units: SizedUnit[] = [];
  files.forEach((f, i) => {
    if (f.size > maxFileBytes) {
      skipped.push({ path: shownPath(f.storePath, f.rel), reason: `larger than maxFileBytes (${f.size} > ${maxFileBytes} bytes)` });
      return;
    }
    const windows = Math.max(1, Math.ceil(f.size / WINDOW_BYTES));
    for (let from = 0; from < windows; from += UNIT_WINDOWS) {
      const last = from + UNIT_WINDOWS >= windows;
      const bytes = Math.min(f.size, (from + UNIT_WINDOWS) * WINDOW_BYTES) - from * WINDOW_BYTES;
      // The last unit reads to end of file, even if the file grew since it was listed.
      units.push({ unit: { file: i, abs: f.abs, fromWindow: from, toWindow: last ? Infinity : from + UNIT_WINDOWS }, bytes });
    }
  });
  return units;
}

const shownPath = (storePath: string, rel: string): string => (rel === "" ? storePath : `${storePath}/${rel}`);

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new ScanClosureError(`scanClosure: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

export async function scanClosure(options: ScanClosureOptions): Promise<ScanClosureResult> {
  checkCount("maxFileBytes", options.maxFileBytes, 0);
  checkCount("jobs", options.jobs, 1);
  const storeDir = resolve(options.storeDir ?? STORE_DIR);
  const targets = resolveTargets(options.paths, storeDir);

  const walked: WalkOutput = { files: [], links: [], skipped: [] };
  for (const t of targets) walkStorePath(t.storePath, t.real, walked);

  const findings: ClosureFinding[] = [];
  for (const l of walked.links) {
    for (const f of windowFindings(l.target, 0, 0, Infinity)) {
      findings.push({ storePath: l.storePath, file: l.rel, ruleId: f.ruleId, offset: f.offset, masked: f.masked, source: "symlink-target" });
    }
  }

  const units = planUnits(walked.files, options.maxFileBytes ?? Infinity, walked.skipped);
  const perFile = new Map<number, { findings: RawFinding[]; error?: string }>();
  const progress: ScanProgress = { files: 0, bytes: 0, totalFiles: 0, totalBytes: 0 };
  const unitsLeft = new Map<number, number>();
  for (const u of units) {
    const left = unitsLeft.get(u.unit.file) ?? 0;
    if (left === 0) progress.totalFiles++;
    unitsLeft.set(u.unit.file, left + 1);
    progress.totalBytes += u.bytes;
  }
  let lastReport = Date.now();

  await runUnits(units, options.jobs ?? availableParallelism(), (r) => {
    progress.bytes += r.bytes;
    if (r.findings.length > 0 || r.error !== undefined) {
      const entry = perFile.get(r.file) ?? { findings: [] };
      for (const f of r.findings) entry.findings.push(f);
      if (r.error !== undefined) entry.error ??= r.error;
      perFile.set(r.file, entry);
    }
    const left = unitsLeft.get(r.file)! - 1;
    unitsLeft.set(r.file, left);
    if (left === 0) progress.files++;
    if (options.onProgress && Date.now() - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = Date.now();
      options.onProgress({ ...progress });
    }
  });
  options.onProgress?.({ ...progress });

  let failedFiles = 0;
  for (const [i, entry] of perFile) {
    const f = walked.files[i]!;
    for (const raw of dropOverlaps(entry.findings)) {
      findings.push({ storePath: f.storePath, file: f.rel, ruleId: raw.ruleId, offset: raw.offset, masked: raw.masked, source: "content" });
    }
    if (entry.error !== undefined) {
      failedFiles++;
      walked.skipped.push({ path: shownPath(f.storePath, f.rel), reason: entry.error });
    }
  }

  findings.sort((a, b) => cmp(a.storePath, b.storePath) || cmp(a.file, b.file) || a.offset - b.offset || cmp(a.source, b.source));
  walked.skipped.sort((a, b) => cmp(a.path, b.path));
  return { files: progress.totalFiles - failedFiles, bytes: progress.bytes, findings, skipped: walked.skipped };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
