/**
 * Benchmark of the closure signature audit against an HTTP binary cache on loopback.
 *
 *   npm run build && node dist/bench/cache-audit.js [--paths 5000] [--reps 3] [--concurrency 32,64] [--seed 1]
 *
 * Synthesises a cache of N narinfos: random store paths with a reference graph
 * shaped like a NixOS closure (a few widely shared libraries, many leaves,
 * some self-references, one system root above everything), each signed by a
 * key from src/cache/keys.ts — real Ed25519 signatures over real fingerprints —
 * except a few unsigned, untrusted and revoked-only ones. The cache is served
 * by node:http in a worker thread (so the server does not share the audit's
 * event loop) and audited end to end: open (nix-cache-info), fetch every
 * narinfo through the bounded pool, parse, verify. Reported per configuration:
 * median wall time of `--reps` runs (after one warm-up) and narinfos/s.
 * Also: the walk-then-audit flow of an audit without a local store, a file://
 * copy of the same cache, and the verdicts alone in memory (no I/O).
 * Writes bench/results/cache-audit-<date>.json.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import {
  auditClosure, auditKeys, closurePaths, formatPublicKey, generateKeyPair, judgeNarinfo, memoizeNarinfos, openCache,
  signNarinfo, writeNarinfo, type AuditReport, type Narinfo,
} from "../src/cache/index.js";

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const PROJECT = resolve(HERE, "..", "..");
const RESULTS_DIR = join(PROJECT, "bench", "results");
const CACHE_INFO = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n";
const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
const NAMES = ["glibc-2.39", "gcc-13.2.0-lib", "openssl-3.0.14", "zlib-1.3.1", "python3-3.12.4", "perl-5.38.2", "bash-5.2p26", "coreutils-9.5",
  "systemd-255.6", "util-linux-2.39.4", "libffi-3.4.6", "ncurses-6.4", "nginx-1.26.1", "postgresql-16.3", "unit-foo.service", "etc-hosts", "source"];

interface WorkerInput {
  files: Array<[string, string]>;
}

// ───────────────────────────── server (worker thread) ─────────────────────────────

function runServer(): void {
  const { files } = workerData as WorkerInput;
  const byPath = new Map(files.map(([name, text]) => [`/${name}`, Buffer.from(text)]));
  const server = createServer((req, res) => {
    const body = byPath.get(req.url ?? "");
    if (body === undefined) return void res.writeHead(404, { "content-length": 0 }).end();
    res.writeHead(200, { "content-type": "text/x-nix-narinfo", "content-length": body.length }).end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => parentPort!.postMessage((server.address() as AddressInfo).port));
}

// ───────────────────────────── synthetic cache ─────────────────────────────

/** A small deterministic PRNG (mulberry32), so runs with one seed audit the same graph. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Synthetic {
  narinfos: Narinfo[];
  root: string;
  trusted: string[];
  revoked: Array<{ name: string; publicKey: string }>;
  expected: Record<string, number>;
}

function synthesise(count: number, seed: number): Synthetic {
  const rand = prng(seed);
  const signer = generateKeyPair("fleet-2");
  const outsider = generateKeyPair("other-1");
  const old = generateKeyPair("fleet-1");
  const hash = (): string => Array.from({ length: 32 }, () => NIX32[Math.floor(rand() * 32)]).join("");
  const sha = (label: string): string => `sha256-${createHash("sha256").update(label).digest("base64")}`;
  const bases = Array.from({ length: count }, (_, i) => `${hash()}-${NAMES[i % NAMES.length]}${i >= NAMES.length ? `-${i}` : ""}`);
  const referenced = new Set<number>();
  const refsOf = bases.map((_, i) => {
    // Index 0 is the most depended-on (glibc); later paths reference a few earlier ones, biased to the bottom.
    const n = i === 0 ? 0 : Math.min(i, Math.floor(rand() * rand() * 24));
    const refs = new Set<number>();
    for (let k = 0; k < n; k++) refs.add(Math.floor(i * rand() ** 3));
    if (rand() < 0.15) refs.add(i); // self-reference, as many real outputs have
    for (const r of refs) if (r !== i) referenced.add(r);
    return [...refs];
  });
  const rootRefs = bases.map((_, i) => i).filter((i) => !referenced.has(i));
  bases.push(`${hash()}-nixos-system-bench-24.05`);
  refsOf.push(rootRefs);

  const expected: Record<string, number> = { unsigned: 0, untrusted: 0, "revoked-only": 0 };
  const narinfos = bases.map((base, i): Narinfo => {
    const fileHash = sha(`file:${base}`);
    const info: Narinfo = {
      storePath: `/nix/store/${base}`, url: `nar/${hash()}.nar.xz`, compression: "xz", fileHash, fileSize: 1000 + Math.floor(rand() * 5e6),
      narHash: sha(`nar:${base}`), narSize: 4000 + Math.floor(rand() * 2e7), references: refsOf[i]!.map((r) => bases[r]!),
      deriver: `${hash()}-${base.slice(33)}.drv`, sigs: [], extra: [],
    };
    // Every 500th path is unsigned, untrusted or revoked-only; the rest carry a valid signature.
    const kind = i % 500 === 7 ? "unsigned" : i % 500 === 207 ? "untrusted" : i % 500 === 407 ? "revoked-only" : "ok";
    if (kind !== "ok") expected[kind]!++;
    const key = kind === "untrusted" ? outsider : kind === "revoked-only" ? old : kind === "ok" ? signer : undefined;
    if (key !== undefined) info.sigs.push(signNarinfo(info, key.secretKey));
    return info;
  });
  return {
    narinfos,
    root: narinfos.at(-1)!.storePath,
    trusted: [formatPublicKey(signer.publicKey)],
    revoked: [{ name: "fleet-1", publicKey: formatPublicKey(old.publicKey) }],
    expected,
  };
}

// ───────────────────────────── measuring ─────────────────────────────

interface Sample {
  label: string;
  concurrency: number | null;
  narinfos: number;
  wallMs: number[];
  medianMs: number;
  perSecond: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(label: string, concurrency: number | null, narinfos: number, reps: number, run: () => Promise<void>): Promise<Sample> {
  await run(); // warm-up: connections, JIT
  const wallMs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    wallMs.push(performance.now() - t0);
  }
  const medianMs = median(wallMs);
  const sample = { label, concurrency, narinfos, wallMs: wallMs.map((x) => Math.round(x * 10) / 10), medianMs: Math.round(medianMs * 10) / 10, perSecond: Math.round(narinfos / (medianMs / 1000)) };
  console.log(`${label.padEnd(34)} ${String(concurrency ?? "-").padStart(5)} ${String(narinfos).padStart(8)} ${(medianMs / 1000).toFixed(3).padStart(8)} ${String(sample.perSecond).padStart(10)}`);
  return sample;
}

function check(report: AuditReport, synthetic: Synthetic, label: string): void {
  const kinds: Record<string, number> = { unsigned: 0, untrusted: 0, "revoked-only": 0 };
  for (const p of report.problems) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
  if (report.total !== synthetic.narinfos.length || JSON.stringify(kinds) !== JSON.stringify(synthetic.expected)) {
    throw new Error(`${label}: wrong report: total ${report.total}, problems ${JSON.stringify(kinds)}, expected ${JSON.stringify(synthetic.expected)}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      paths: { type: "string", default: "5000" },
      reps: { type: "string", default: "3" },
      concurrency: { type: "string", default: "32,64" },
      seed: { type: "string", default: "1" },
    },
  });
  const count = Number(values.paths);
  const reps = Number(values.reps);
  const levels = values.concurrency.split(",").map(Number);
  const seed = Number(values.seed);

  const t0 = performance.now();
  const synthetic = synthesise(count, seed);
  const texts = synthetic.narinfos.map((n) => [n.storePath, writeNarinfo(n)] as const);
  const paths = texts.map(([p]) => p);
  const files: Array<[string, string]> = [["nix-cache-info", CACHE_INFO], ...texts.map(([p, t]): [string, string] => [`${p.slice(11, 43)}.narinfo`, t])];
  const edges = synthetic.narinfos.reduce((n, x) => n + x.references.length, 0);
  console.log(`synthesised ${paths.length} narinfos (${edges} references, ${Math.round(files.reduce((n, [, t]) => n + t.length, 0) / 1024)} KiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { files } satisfies WorkerInput });
  const port = await new Promise<number>((ok, fail) => {
    worker.once("message", ok);
    worker.once("error", fail);
  });
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "hostplane-bench-cache-"));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);

  console.log(`\n${"configuration".padEnd(34)} ${"conc".padStart(5)} ${"narinfos".padStart(8)} ${"wall s".padStart(8)} ${"narinfo/s".padStart(10)}`);
  const samples: Sample[] = [];
  const { trusted, revoked } = synthetic;
  try {
    for (const concurrency of levels) {
      samples.push(await measure("audit, HTTP loopback", concurrency, paths.length, reps, async () => {
        let progress = 0;
        const report = await auditClosure({ paths, cache: await openCache(url), trusted, revoked, concurrency, onProgress: (done) => (progress = done) });
        check(report, synthetic, "http");
        if (progress !== paths.length) throw new Error(`progress stopped at ${progress}`);
      }));
    }
    samples.push(await measure("walk from root + audit, HTTP", levels[0]!, paths.length, reps, async () => {
      const cache = memoizeNarinfos(await openCache(url));
      const closure = await closurePaths([synthetic.root], { cache, concurrency: levels[0]! });
      if (closure.paths.length !== paths.length) throw new Error(`walk found ${closure.paths.length} of ${paths.length} paths`);
      check(await auditClosure({ paths: closure.paths, cache, trusted, revoked, concurrency: levels[0]! }), synthetic, "walk");
    }));
    samples.push(await measure("audit, file:// cache", levels[0]!, paths.length, reps, async () => {
      check(await auditClosure({ paths, cache: await openCache(`file://${dir}`), trusted, revoked, concurrency: levels[0]! }), synthetic, "file");
    }));
    const keys = auditKeys(trusted, revoked);
    samples.push(await measure("verdicts only (parse + verify)", null, paths.length, reps, () => {
      for (const [path, text] of texts) judgeNarinfo({ path, text, source: path }, keys);
      return Promise.resolve();
    }));
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }

  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT, encoding: "utf8" });
  const result = {
    benchmark: "cache-audit",
    date: new Date().toISOString(),
    commit: head.status === 0 ? head.stdout.trim() : null,
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version },
    input: { narinfos: paths.length, references: edges, seed, problems: synthetic.expected },
    reps,
    samples,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, `cache-audit-${result.date.slice(0, 10)}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  runServer();
}
