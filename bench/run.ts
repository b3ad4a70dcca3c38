/**
 * Benchmark of `hostplane guard`, end to end as a user runs it.
 *
 *   npm run build && npm run bench [-- --real DIR…]
 *   node dist/bench/run.js [--real DIR]… [DIR…] [--no-real] [--corpus DIR] [--megabytes 50] [--seed 1]
 *                          [--reps 3] [--jobs 1,2] [--per-repo] [--no-lint-only] [--no-nix] [--no-profile] [--wait-idle 60]
 *
 * Measures, on a generated corpus (≥ 50 MiB, cached under /tmp) and on real
 * repositories (default /work/corpus when present):
 *   - guard as a child process (`node bin/hostplane.js guard DIR --format json --jobs N`,
 *     report to a temp file): median wall time, throughput from the report's
 *     `stats.bytes`, throughput per core, CPU use and peak RSS of the whole process
 *     (worker threads included) via `/usr/bin/time -f %M`, else /proc/PID/status VmHWM;
 *   - process start: guard on an empty directory;
 *   - in-process, one core, texts read beforehand: `lintFile` (parse + rules), parse only,
 *     and parse + tree walk with no-op handlers;
 *   - the reference parser, `nix-instantiate --parse`, one process per file over 300 files;
 *   - a CPU profile of guard --jobs 1 on the generated corpus (top self-time functions).
 * Prints a table and writes bench/results/guard-<date>.json.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fileKindOf, lintFile, type LintInput } from "../src/guard/lint.js";
import { defaultGuardConfig } from "../src/guard/config.js";
import { parseNix } from "../src/guard/nix/parser.js";
import { walkNix } from "../src/guard/analyze/walk.js";

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const PROJECT = resolve(HERE, "..", "..");
const CLI = join(PROJECT, "bin", "hostplane.js");
const GENERATOR = join(PROJECT, "dist", "bench", "generate-corpus.js");
const RESULTS_DIR = join(PROJECT, "bench", "results");
const GNU_TIME = "/usr/bin/time";
const DEFAULT_REAL = "/work/corpus";
const MiB = 1024 * 1024;
const SKIPPED_DIRS = new Set([".git", ".hg", ".svn", "node_modules", ".direnv", "result"]);

// ───────────────────────────── options ─────────────────────────────

interface Options {
  real: string[];
  noReal: boolean;
  corpus: string;
  megabytes: number;
  seed: number;
  reps: number;
  jobs: number[];
  perRepo: boolean;
  lintOnly: boolean;
  nix: boolean;
  profile: boolean;
  waitIdle: number;
}

const USAGE = `usage: node dist/bench/run.js [--real DIR]… [DIR…] [--no-real] [--corpus DIR] [--megabytes 50] [--seed 1]
                            [--reps 3] [--jobs 1,2] [--per-repo] [--no-lint-only] [--no-nix] [--no-profile] [--wait-idle 60]`;

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      real: { type: "string", multiple: true },
      "no-real": { type: "boolean", default: false },
      corpus: { type: "string" },
      megabytes: { type: "string", default: "50" },
      seed: { type: "string", default: "1" },
      reps: { type: "string", default: "3" },
      jobs: { type: "string", default: "1,2" },
      "per-repo": { type: "boolean", default: false },
      "no-lint-only": { type: "boolean", default: false },
      "no-nix": { type: "boolean", default: false },
      "no-profile": { type: "boolean", default: false },
      "wait-idle": { type: "string", default: "60" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const megabytes = Number(values.megabytes);
  const seed = Number(values.seed);
  const reps = Number(values.reps);
  const jobs = values.jobs.split(",").map(Number);
  if (!(megabytes >= 50)) throw new Error("--megabytes must be at least 50");
  if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");
  if (!Number.isInteger(reps) || reps < 1) throw new Error("--reps must be a positive integer");
  if (!(Number(values["wait-idle"]) >= 0)) throw new Error("--wait-idle must be a number of seconds (0: do not wait)");
  if (!jobs.every((j) => Number.isInteger(j) && j >= 1)) throw new Error("--jobs must be a comma-separated list of positive integers");
  // `--real A B` leaves B as a positional: positionals are real directories too.
  const real = values["no-real"] ? [] : [...(values.real ?? []), ...positionals].map((d) => resolve(d));
  return {
    real,
    noReal: values["no-real"],
    corpus: resolve(values.corpus ?? join(tmpdir(), "hostplane-bench", `corpus-seed${seed}-${megabytes}mb`)),
    megabytes, seed, reps, jobs,
    perRepo: values["per-repo"],
    lintOnly: !values["no-lint-only"],
    nix: !values["no-nix"],
    profile: !values["no-profile"],
    waitIdle: Number(values["wait-idle"]),
  };
}

// ───────────────────────────── helpers ─────────────────────────────

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const mib = (bytes: number): number => bytes / MiB;
const fix = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : "-");

interface Tree {
  files: string[];
  bytes: number;
}

/** Files guard reads (*.nix, flake.lock, nix.conf) under dir, counted the plain way: no .gitignore. */
function walkGuardFiles(dir: string): Tree {
  const files: string[] = [];
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const abs = join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) walk(abs);
      } else if (e.isFile() && fileKindOf(e.name) !== null) {
        files.push(abs);
        bytes += statSync(abs).size;
      }
    }
  };
  walk(dir);
  files.sort();
  return { files, bytes };
}

/** Every regular file under dir (for the on-disk size of the generated corpus). */
function diskUsage(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const abs = join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile()) {
        files++;
        bytes += statSync(abs).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/** The commit being measured, and whether src/ differs from it (dist/ is built from the working tree). */
function gitState(): { commit: string | null; srcDirty: boolean | null; srcDiffSha: string | null } {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT, encoding: "utf8" });
  const diff = spawnSync("git", ["diff", "HEAD", "--", "src"], { cwd: PROJECT, encoding: "utf8", maxBuffer: 256 << 20 });
  return {
    commit: head.status === 0 ? head.stdout.trim() : null,
    srcDirty: diff.status === 0 ? diff.stdout !== "" : null,
    srcDiffSha: diff.status === 0 && diff.stdout !== "" ? createHash("sha256").update(diff.stdout).digest("hex").slice(0, 12) : null,
  };
}

/**
 * Fingerprint of the code actually run: every file under dist/src. A rebuild
 * during the benchmark (the tree is often being worked on) changes it, and the
 * figures measured before and after are not comparable.
 */
function buildId(): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.name.endsWith(".js")) h.update(relative(PROJECT, abs)).update("\0").update(readFileSync(abs)).update("\0");
    }
  };
  walk(join(PROJECT, "dist", "src"));
  return h.digest("hex").slice(0, 12);
}

const builds: Array<{ phase: string; build: string }> = [];
/** Record the build before a phase; warn when it differs from the first one. */
function checkBuild(phase: string): string {
  const build = buildId();
  const first = builds[0]?.build;
  builds.push({ phase, build });
  if (first !== undefined && build !== first) console.log(`WARNING: dist/src changed (build ${first} → ${build}) before "${phase}"; figures mix builds`);
  return build;
}

// ───────────────────────────── generated corpus ─────────────────────────────

function ensureCorpus(opt: Options): { dir: string; generatedNow: boolean; generatorOutput: string } {
  const marker = `${opt.corpus}.done`;
  // Keyed on the generator's content, not its mtime: every build rewrites dist/.
  const generator = createHash("sha256").update(readFileSync(GENERATOR)).digest("hex").slice(0, 16);
  const stamp = `${opt.seed} ${opt.megabytes} ${generator}`;
  if (existsSync(marker) && existsSync(opt.corpus)) {
    const [line = "", ...rest] = readFileSync(marker, "utf8").split("\n");
    if (line === stamp) return { dir: opt.corpus, generatedNow: false, generatorOutput: rest.join("\n").trim() };
  }
  console.log(`generating corpus (seed ${opt.seed}, ${opt.megabytes} MiB) into ${opt.corpus} …`);
  rmSync(opt.corpus, { recursive: true, force: true });
  mkdirSync(dirname(opt.corpus), { recursive: true });
  const r = spawnSync(process.execPath, [GENERATOR, "--out", opt.corpus, "--megabytes", String(opt.megabytes), "--seed", String(opt.seed)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`corpus generator failed (${r.status}): ${r.stderr}`);
  writeFileSync(marker, `${stamp}\n${r.stdout}`);
  return { dir: opt.corpus, generatedNow: true, generatorOutput: r.stdout.trim() };
}

// ───────────────────────────── end-to-end runs ─────────────────────────────

interface RunSample {
  wallS: number;
  /** Cores kept busy by everything else on the machine during the run (null when unknown). */
  otherCores: number | null;
  userS: number | null;
  sysS: number | null;
  peakRssKiB: number | null;
  files: number;
  bytes: number;
  findings: number;
  exitCode: number;
}

interface ReportStats {
  files: number;
  bytes: number;
  findings: number;
}

function readReportStats(path: string): ReportStats {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (typeof parsed !== "object" || parsed === null) throw new Error("guard report is not a JSON object");
  const { stats, findings } = parsed as { stats?: { files?: unknown; bytes?: unknown }; findings?: unknown };
  if (typeof stats?.files !== "number" || typeof stats.bytes !== "number") throw new Error("guard report has no stats.files/stats.bytes");
  return { files: stats.files, bytes: stats.bytes, findings: Array.isArray(findings) ? findings.length : 0 };
}

/** Last VmHWM (KiB) of a running process; null when /proc is unavailable or it has exited. */
function readVmHwm(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// HOSTPLANE_BENCH_NO_TIME=1 forces the /proc fallback (to check it agrees with GNU time).
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** Busy CPU time of the whole machine so far, in seconds (all cores; /proc/stat), or null. */
function machineBusyS(): number | null {
  try {
    const f = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return (total - (f[3] ?? 0) - (f[4] ?? 0)) / CLK_TCK; // minus idle and iowait
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * On a shared machine, wait (up to maxS seconds) until other processes use
 * less than a fifth of a core over two consecutive one-second windows, so the
 * next run does not share its cores. Returns the seconds waited.
 */
async function waitForIdle(maxS: number): Promise<number> {
  if (maxS <= 0 || machineBusyS() === null) return 0;
  const t0 = performance.now();
  let quiet = 0;
  let announced = false;
  while ((performance.now() - t0) / 1000 < maxS) {
    const before = machineBusyS()!;
    await sleep(1000);
    const busy = machineBusyS()! - before;
    quiet = busy < 0.2 ? quiet + 1 : 0;
    if (quiet >= 2) break;
    if (!announced && busy >= 0.2) {
      console.log(`  (machine busy: ${fix(busy, 2)} cores used by other processes; waiting up to ${maxS} s for it to go idle)`);
      announced = true;
    }
  }
  const waited = (performance.now() - t0) / 1000;
  if (quiet < 2) console.log(`  (still busy after ${fix(waited, 0)} s; measuring anyway)`);
  return waited;
}

const HAVE_GNU_TIME = !process.env["HOSTPLANE_BENCH_NO_TIME"] && spawnSync("sh", ["-c", `command -v ${GNU_TIME}`]).status === 0;

/** One `hostplane guard DIR --format json --jobs N` run in a fresh process. */
async function runGuard(dir: string, jobs: number, work: string, extraNodeArgs: string[] = []): Promise<RunSample> {
  const report = join(work, "report.json");
  const timeFile = join(work, "time.txt");
  rmSync(report, { force: true });
  rmSync(timeFile, { force: true });
  const guardArgv = [...extraNodeArgs, CLI, "guard", dir, "--format", "json", "--jobs", String(jobs)];
  const [cmd, args] = HAVE_GNU_TIME
    ? [GNU_TIME, ["-o", timeFile, "-f", "%M %U %S", process.execPath, ...guardArgv]]
    : [process.execPath, guardArgv];
  const out = openSync(report, "w");
  let stderr = "";
  const busyBefore = machineBusyS();
  const started = performance.now();
  const { code, hwm } = await new Promise<{ code: number; hwm: number | null }>((resolveRun, rejectRun) => {
    const child = spawn(cmd, args, { cwd: work, stdio: ["ignore", out, "pipe"] });
    let lastHwm: number | null = null;
    const poll = HAVE_GNU_TIME || child.pid === undefined ? null : setInterval(() => {
      const v = readVmHwm(child.pid!);
      if (v !== null) lastHwm = v;
    }, 10);
    child.stderr?.on("data", (b: Buffer) => { stderr += b.toString(); });
    child.on("error", rejectRun);
    child.on("close", (c) => {
      if (poll) clearInterval(poll);
      resolveRun({ code: c ?? -1, hwm: lastHwm });
    });
  });
  const wallS = (performance.now() - started) / 1000;
  const busyAfter = machineBusyS();
  closeSync(out);
  if (code !== 0 && code !== 1) throw new Error(`guard exited ${code} on ${dir}:\n${stderr.slice(-2000)}`);
  let peakRssKiB = hwm;
  let userS: number | null = null;
  let sysS: number | null = null;
  if (HAVE_GNU_TIME) {
    // time's own notes ("Command exited with non-zero status 1") precede the format line.
    const last = readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "";
    const [rss, user, sys] = last.split(" ").map(Number);
    peakRssKiB = rss ?? null;
    userS = user ?? null;
    sysS = sys ?? null;
  }
  const stats = readReportStats(report);
  const otherCores = busyBefore === null || busyAfter === null || userS === null || sysS === null
    ? null : Math.max(0, (busyAfter - busyBefore - userS - sysS) / wallS);
  return { wallS, otherCores, userS, sysS, peakRssKiB, files: stats.files, bytes: stats.bytes, findings: stats.findings, exitCode: code };
}

interface RunSummary {
  target: string;
  dir: string;
  jobs: number;
  files: number;
  bytes: number;
  findings: number;
  medianWallS: number;
  mibPerS: number;
  mibPerSPerCore: number;
  /** (user + sys) / wall: how many cores were busy on average. */
  coresBusy: number | null;
  /** Median cores busy with other work on the machine during the runs: a noise indicator. */
  otherCores: number | null;
  peakRssMiB: number | null;
  samples: RunSample[];
}

function summarise(target: string, dir: string, jobs: number, samples: RunSample[]): RunSummary {
  const first = samples[0]!;
  const wall = median(samples.map((s) => s.wallS));
  const cpu = samples.every((s) => s.userS !== null && s.sysS !== null) ? median(samples.map((s) => (s.userS! + s.sysS!) / s.wallS)) : null;
  const other = samples.every((s) => s.otherCores !== null) ? median(samples.map((s) => s.otherCores!)) : null;
  const rss = samples.every((s) => s.peakRssKiB !== null) ? Math.max(...samples.map((s) => s.peakRssKiB!)) / 1024 : null;
  const rate = mib(first.bytes) / wall;
  return {
    target, dir, jobs, files: first.files, bytes: first.bytes, findings: first.findings,
    medianWallS: wall, mibPerS: rate, mibPerSPerCore: rate / Math.min(jobs, availableParallelism()),
    coresBusy: cpu, otherCores: other, peakRssMiB: rss, samples,
  };
}

async function measure(target: string, dir: string, opt: Options, work: string): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for (const jobs of opt.jobs) {
    const samples: RunSample[] = [];
    for (let i = 0; i < opt.reps; i++) {
      await waitForIdle(opt.waitIdle);
      const s = await runGuard(dir, jobs, work);
      samples.push(s);
      console.log(`  ${target} --jobs ${jobs} #${i + 1}: ${fix(s.wallS, 2)} s, ${fix(mib(s.bytes) / s.wallS)} MiB/s, ` +
        `RSS ${s.peakRssKiB === null ? "?" : fix(s.peakRssKiB / 1024, 0)} MiB, ${s.files} files, ${s.findings} findings` +
        (s.otherCores !== null && s.otherCores > 0.25 ? ` — WARNING: other processes kept ${fix(s.otherCores, 2)} cores busy` : ""));
    }
    out.push(summarise(target, dir, jobs, samples));
  }
  return out;
}

// ───────────────────────────── in-process lint / parse ─────────────────────────────

interface InProcess {
  files: number;
  bytes: number;
  lintMedianS: number;
  lintMiBPerS: number;
  lintSamplesS: number[];
  parseMedianS: number;
  parseMiBPerS: number;
  parseSamplesS: number[];
  /** parseNix + walkNix with no-op handlers: the tree walk's own cost, no rules. */
  walkMedianS: number;
  walkMiBPerS: number;
  walkSamplesS: number[];
  findings: number;
}

function measureInProcess(root: string, tree: Tree, reps: number): InProcess {
  const config = defaultGuardConfig(Date.now() / 1000);
  const options = { policy: config.policy, severities: config.severities, disabled: config.disabled };
  // Read everything first: the timed loops do no I/O.
  const inputs: LintInput[] = tree.files.map((abs) => {
    const rel = relative(root, abs);
    const input: LintInput = { file: rel, text: readFileSync(abs, "utf8") };
    if (/(^|\/)flake\.nix$/.test(rel)) {
      const lock = join(dirname(abs), "flake.lock");
      input.siblingLock = existsSync(lock) ? readFileSync(lock, "utf8") : null;
    }
    return input;
  });
  const bytes = inputs.reduce((n, i) => n + Buffer.byteLength(i.text), 0);
  const nixTexts = inputs.filter((i) => fileKindOf(i.file) === "nix").map((i) => i.text);
  const nixBytes = nixTexts.reduce((n, t) => n + Buffer.byteLength(t), 0);

  const lintSamplesS: number[] = [];
  let findings = 0;
  for (let r = 0; r < reps; r++) {
    findings = 0;
    const t0 = performance.now();
    for (const input of inputs) findings += lintFile(input, options).findings.length;
    lintSamplesS.push((performance.now() - t0) / 1000);
    console.log(`  lintFile pass #${r + 1}: ${fix(lintSamplesS.at(-1)!, 2)} s`);
  }
  const parseSamplesS: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (const text of nixTexts) {
      try {
        parseNix(text);
      } catch {
        // syntax errors count as parsed: guard reports them and moves on
      }
    }
    parseSamplesS.push((performance.now() - t0) / 1000);
    console.log(`  parseNix pass #${r + 1}: ${fix(parseSamplesS.at(-1)!, 2)} s`);
  }
  const walkSamplesS: number[] = [];
  const noop = { def: (): void => {}, call: (): void => {}, string: (): void => {}, path: (): void => {} };
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (const text of nixTexts) {
      try {
        walkNix(parseNix(text).ast, noop);
      } catch {
        // as above
      }
    }
    walkSamplesS.push((performance.now() - t0) / 1000);
    console.log(`  parseNix + walkNix (no-op handlers) pass #${r + 1}: ${fix(walkSamplesS.at(-1)!, 2)} s`);
  }
  const walkMedianS = median(walkSamplesS);
  const lintMedianS = median(lintSamplesS);
  const parseMedianS = median(parseSamplesS);
  return {
    files: inputs.length, bytes, lintMedianS, lintMiBPerS: mib(bytes) / lintMedianS, lintSamplesS,
    parseMedianS, parseMiBPerS: mib(nixBytes) / parseMedianS, parseSamplesS,
    walkMedianS, walkMiBPerS: mib(nixBytes) / walkMedianS, walkSamplesS, findings,
  };
}

// ───────────────────────────── nix-instantiate --parse ─────────────────────────────

interface NixParse {
  files: number;
  bytes: number;
  wallS: number;
  mibPerS: number;
  msPerFile: number;
  failures: number;
  version: string;
}

function measureNixInstantiate(tree: Tree, sampleSize: number): NixParse | string {
  const which = spawnSync("sh", ["-c", "command -v nix-instantiate"], { encoding: "utf8" });
  if (which.status !== 0) return "nix-instantiate not found on PATH";
  const nixFiles = tree.files.filter((f) => fileKindOf(f) === "nix");
  const n = Math.min(sampleSize, nixFiles.length);
  // Evenly spaced over the sorted list: deterministic, and spans every fleet and file kind.
  const sample = Array.from({ length: n }, (_, i) => nixFiles[Math.floor((i * nixFiles.length) / n)]!);
  const bytes = sample.reduce((s, f) => s + statSync(f).size, 0);
  const version = spawnSync("nix-instantiate", ["--version"], { encoding: "utf8" }).stdout.trim();
  let failures = 0;
  const t0 = performance.now();
  for (const f of sample) {
    const r = spawnSync("nix-instantiate", ["--parse", f], { stdio: ["ignore", "ignore", "ignore"] });
    if (r.status !== 0) failures++;
  }
  const wallS = (performance.now() - t0) / 1000;
  return { files: n, bytes, wallS, mibPerS: mib(bytes) / wallS, msPerFile: (wallS * 1000) / n, failures, version };
}

// ───────────────────────────── CPU profile ─────────────────────────────

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
  percent: number;
}

/** Self time per function (summed over all call sites), largest first. */
function summariseProfile(profile: CpuProfile): { totalMs: number; top: ProfileEntry[] } {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; where: string; us: number }>();
  // timeDeltas[i] is the gap before samples[i]; the time until the next sample belongs to samples[i].
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!);
    if (!node) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? relative(PROJECT, url.replace(/^file:\/\//, "")) : "";
    const where = file ? `${file}:${lineNumber + 1}` : "";
    const key = `${functionName}\0${where}`;
    const e = self.get(key) ?? { fn: functionName || "(anonymous)", where, us: 0 };
    e.us += us;
    self.set(key, e);
  }
  const totalUs = profile.endTime - profile.startTime;
  const top = [...self.values()].sort((a, b) => b.us - a.us).slice(0, 10)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, percent: (100 * e.us) / totalUs }));
  return { totalMs: totalUs / 1000, top };
}

async function profileGuard(dir: string, work: string): Promise<{ totalMs: number; top: ProfileEntry[]; file: string }> {
  const profDir = join(work, "cpuprof");
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir);
  await runGuard(dir, 1, work, ["--cpu-prof", "--cpu-prof-dir", profDir]);
  const name = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!name) throw new Error("node --cpu-prof wrote no profile");
  const profile = JSON.parse(readFileSync(join(profDir, name), "utf8")) as CpuProfile;
  return { ...summariseProfile(profile), file: join(profDir, name) };
}

// ───────────────────────────── report ─────────────────────────────

function printTable(rows: RunSummary[]): void {
  const header = ["target", "jobs", "files", "MiB", "wall s", "MiB/s", "MiB/s/core", "cores busy", "other load", "peak RSS MiB", "findings"];
  const body = rows.map((r) => [
    r.target, String(r.jobs), String(r.files), fix(mib(r.bytes)), fix(r.medianWallS, 2), fix(r.mibPerS), fix(r.mibPerSPerCore),
    r.coresBusy === null ? "-" : fix(r.coresBusy, 2), r.otherCores === null ? "-" : fix(r.otherCores, 2), r.peakRssMiB === null ? "-" : fix(r.peakRssMiB, 0), String(r.findings),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const opt = parseOptions(process.argv.slice(2));
  if (!existsSync(GENERATOR)) throw new Error(`${relative(process.cwd(), GENERATOR)} is missing: run \`npm run build\` first`);
  const work = mkdtempSync(join(tmpdir(), "hostplane-bench-"));
  const cores = availableParallelism();
  const gitStart = gitState();
  const build = checkBuild("start");
  console.log(`hostplane guard benchmark — node ${process.version}, ${cores} cores (${cpus()[0]?.model ?? "?"}), ${fix(totalmem() / 2 ** 30)} GiB RAM`);
  if (existsSync("/proc/loadavg")) console.log(`load average before start: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  console.log(`commit ${gitStart.commit ?? "?"}${gitStart.srcDirty ? ` + uncommitted src/ changes (diff ${gitStart.srcDiffSha ?? "?"})` : ""}; build ${build} (hash of dist/src)`);
  console.log(HAVE_GNU_TIME ? `peak RSS and CPU time: ${GNU_TIME} -f "%M %U %S"` : "peak RSS: /proc/PID/status VmHWM polled every 10 ms (no /usr/bin/time)");

  // Generated corpus.
  const corpus = ensureCorpus(opt);
  const genTree = walkGuardFiles(corpus.dir);
  const disk = diskUsage(corpus.dir);
  console.log(`generated corpus ${corpus.dir}${corpus.generatedNow ? " (generated now)" : " (cached)"}: ${corpus.generatorOutput}`);
  console.log(`  on disk ${disk.files} files, ${fix(mib(disk.bytes))} MiB; guard inputs (*.nix, flake.lock, nix.conf) ${genTree.files.length} files, ${fix(mib(genTree.bytes))} MiB`);

  // Real repositories.
  let realDirs = opt.real;
  let realSkipped: string | null = null;
  if (opt.noReal) realSkipped = "--no-real";
  else if (realDirs.length === 0) {
    if (existsSync(DEFAULT_REAL)) realDirs = [DEFAULT_REAL];
    else realSkipped = `no --real DIR given and ${DEFAULT_REAL} does not exist`;
  }
  const realInfo = realDirs.map((dir) => {
    if (!statSync(dir).isDirectory()) throw new Error(`--real ${dir} is not a directory`);
    const repos = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith(".")).length;
    const tree = walkGuardFiles(dir);
    console.log(`real tree ${dir}: ${repos} top-level directories (repos), ${tree.files.length} guard input files, ${fix(mib(tree.bytes))} MiB (plain walk, before .gitignore)`);
    return { dir, repos, walkFiles: tree.files.length, walkBytes: tree.bytes };
  });
  if (realSkipped) console.log(`real repositories skipped: ${realSkipped}`);

  // Process start: guard on an empty directory.
  const empty = join(work, "empty");
  mkdirSync(empty);
  const startupSamples: number[] = [];
  for (let i = 0; i < opt.reps; i++) {
    await waitForIdle(opt.waitIdle);
    startupSamples.push((await runGuard(empty, 1, work)).wallS);
  }
  const startup = median(startupSamples);
  console.log(`process start (guard on an empty directory): ${fix(startup * 1000, 0)} ms`);

  // End to end.
  const rows: RunSummary[] = [];
  console.log("end to end:");
  checkBuild("end to end: generated");
  rows.push(...await measure("generated", corpus.dir, opt, work));
  for (const r of realInfo) {
    checkBuild(`end to end: ${r.dir}`);
    rows.push(...await measure(`real:${basename(r.dir)}`, r.dir, opt, work));
  }

  const perRepo: RunSummary[] = [];
  if (opt.perRepo) {
    console.log("per repository (--jobs 1, one run each):");
    checkBuild("per repository");
    for (const r of realInfo) {
      for (const e of readdirSync(r.dir, { withFileTypes: true }).filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
        const dir = join(r.dir, e.name);
        await waitForIdle(Math.min(opt.waitIdle, 10)); // 40 short runs: do not wait a minute for each
        const s = await runGuard(dir, 1, work);
        perRepo.push(summarise(e.name, dir, 1, [s]));
      }
    }
  }

  // In-process lint and parse.
  let inProcess: InProcess | null = null;
  if (opt.lintOnly) {
    console.log("in-process lintFile / parseNix on the generated corpus (one core, files read beforehand):");
    checkBuild("in-process");
    await waitForIdle(opt.waitIdle);
    inProcess = measureInProcess(corpus.dir, genTree, opt.reps);
  }

  // Reference parser.
  let nix: NixParse | string = "--no-nix";
  if (opt.nix) {
    console.log("nix-instantiate --parse, one process per file, 300 generated files …");
    await waitForIdle(opt.waitIdle);
    nix = measureNixInstantiate(genTree, 300);
  }

  // CPU profile.
  let profile: Awaited<ReturnType<typeof profileGuard>> | null = null;
  if (opt.profile) {
    console.log("CPU profile of guard --jobs 1 on the generated corpus …");
    checkBuild("profile");
    await waitForIdle(opt.waitIdle);
    profile = await profileGuard(corpus.dir, work);
  }

  // Report.
  console.log("");
  console.log(`end to end (median of ${opt.reps}; MiB = 2^20 bytes, from the report's stats.bytes; cores busy = (user+sys)/wall;\n other load = cores used by other processes meanwhile, should be ~0):`);
  printTable(rows);
  if (perRepo.length) {
    console.log("");
    console.log("per repository (--jobs 1, single run):");
    printTable(perRepo);
  }
  console.log("");
  console.log(`process start (empty directory): ${fix(startup * 1000, 0)} ms`);
  if (inProcess) {
    console.log(`in-process lintFile, 1 core: ${inProcess.files} files, ${fix(mib(inProcess.bytes))} MiB in ${fix(inProcess.lintMedianS, 2)} s = ${fix(inProcess.lintMiBPerS)} MiB/s`);
    console.log(`in-process parseNix only, 1 core: ${fix(inProcess.parseMiBPerS)} MiB/s (${fix(inProcess.parseMedianS, 2)} s, *.nix only)`);
    console.log(`in-process parseNix + walkNix (no-op handlers), 1 core: ${fix(inProcess.walkMiBPerS)} MiB/s (${fix(inProcess.walkMedianS, 2)} s)`);
  }
  if (typeof nix === "string") console.log(`nix-instantiate --parse: skipped (${nix})`);
  else console.log(`nix-instantiate --parse (${nix.version}), ${nix.files} files, ${fix(mib(nix.bytes), 2)} MiB, one process each: ${fix(nix.wallS, 2)} s = ${fix(nix.mibPerS, 2)} MiB/s, ${fix(nix.msPerFile, 1)} ms/file${nix.failures ? `, ${nix.failures} failed` : ""}`);
  if (profile) {
    console.log(`top self time, guard --jobs 1 on the generated corpus (profile ${fix(profile.totalMs / 1000, 2)} s; ${profile.file}):`);
    const short = (fn: string): string => (fn.length > 72 ? `${fn.slice(0, 71)}…` : fn); // regexes are named by their source
    for (const e of profile.top) console.log(`  ${fix(e.percent).padStart(5)}%  ${fix(e.selfMs, 0).padStart(6)} ms  ${short(e.fn)}  ${e.where}`);
  }

  checkBuild("end");
  const gitEnd = gitState();
  const consistent = builds.every((b) => b.build === build);
  if (!consistent) console.log(`WARNING: dist/src was rebuilt during the benchmark: ${builds.map((b) => `${b.phase}=${b.build}`).join(", ")}`);
  if (gitEnd.commit !== gitStart.commit) console.log(`WARNING: HEAD moved during the run (${gitStart.commit ?? "?"} → ${gitEnd.commit ?? "?"}); figures may mix builds`);
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const resultFile = join(RESULTS_DIR, `guard-${date}.json`);
  const result = {
    date: new Date().toISOString(),
    git: { ...gitStart, commitAtEnd: gitEnd.commit, srcDiffShaAtEnd: gitEnd.srcDiffSha },
    build: { id: build, consistent, phases: builds },
    machine: { cores, cpu: cpus()[0]?.model ?? null, memoryGiB: totalmem() / 2 ** 30, node: process.version, rssSource: HAVE_GNU_TIME ? "gnu-time" : "proc-vmhwm" },
    units: { size: "MiB (2^20 bytes)", throughput: "MiB/s", rss: "MiB" },
    generated: {
      dir: corpus.dir, seed: opt.seed, megabytes: opt.megabytes, generator: corpus.generatorOutput,
      diskFiles: disk.files, diskBytes: disk.bytes, guardFiles: genTree.files.length, guardBytes: genTree.bytes,
    },
    real: realInfo,
    realSkipped,
    startupMs: startup * 1000,
    endToEnd: rows,
    perRepo,
    inProcess,
    nixInstantiate: nix,
    profile,
  };
  writeFileSync(resultFile, JSON.stringify(result, null, 2) + "\n");
  console.log(`\nresults written to ${relative(process.cwd(), resultFile) || resultFile}`);
  rmSync(empty, { recursive: true, force: true });
  for (const f of ["report.json", "time.txt"]) rmSync(join(work, f), { force: true });
  if (!profile) rmSync(work, { recursive: true, force: true }); // else keep it: it holds the .cpuprofile
}

await main();
