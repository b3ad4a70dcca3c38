/**
 * Benchmark of `hostplane contract check` on this machine.
 *
 *   npm run build && node dist/bench/contract-check.js [--reps 15]
 *
 * Measures (median, p90, min, max of --reps runs):
 *   - gatherFacts in-process, without and with the scratch-namespace probes
 *     (the first call of a process, which loads koffi, is reported apart);
 *   - evaluateContract over the gathered facts (1000 runs);
 *   - the CLI end to end, `node bin/hostplane.js contract check --json`, with
 *     and without --no-scratch: what an operator or the systemd timer waits for.
 * Target (issue 4): well under a second on a normal host apart from the scratch probes.
 * Prints a table and writes bench/results/contract-<date>.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { machine } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gatherFacts } from "../src/contract/linux/index.js";
import { evaluateContract, gatherPlan, resolveContractConfig } from "../src/contract/index.js";

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(PROJECT, "bin", "hostplane.js");

interface Stats { median: number; p90: number; min: number; max: number; n: number }

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p90: at(0.9), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

async function time(fn: () => Promise<unknown>, reps: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

function cli(args: string[], reps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [CLI, "contract", "check", "--json", ...args], { encoding: "utf8" });
    out.push(performance.now() - t);
    if (r.status !== 0 && r.status !== 1) throw new Error(`contract check exited ${r.status}: ${r.stderr}`);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reps: { type: "string", default: "15" } } });
  const reps = Number(values.reps);
  const config = resolveContractConfig();
  const plan = gatherPlan(config, machine());

  const first = await time(() => gatherFacts({ ...plan, scratch: false }), 1);
  const noScratch = await time(() => gatherFacts({ ...plan, scratch: false }), reps);
  const withScratch = await time(() => gatherFacts({ ...plan, scratch: true }), reps);
  const facts = await gatherFacts({ ...plan, scratch: true });
  const evaluate = await time(() => Promise.resolve(evaluateContract(facts, { config })), 1000);
  const cliNoScratch = cli(["--no-scratch"], reps);
  const cliScratch = cli([], reps);

  const rows: [string, Stats][] = [
    ["gatherFacts, first call (loads koffi)", stats(first)],
    ["gatherFacts --no-scratch", stats(noScratch)],
    ["gatherFacts with scratch probes", stats(withScratch)],
    ["evaluateContract (39 checks)", stats(evaluate)],
    ["CLI contract check --no-scratch", stats(cliNoScratch)],
    ["CLI contract check", stats(cliScratch)],
  ];
  const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);
  console.log(`contract check on ${facts.hostname} (${facts.arch}, uid ${facts.euid}), ${reps} reps\n`);
  console.log(`${"what".padEnd(40)} ${"median".padStart(10)} ${"p90".padStart(10)} ${"min".padStart(10)} ${"max".padStart(10)}`);
  for (const [name, s] of rows) console.log(`${name.padEnd(40)} ${fmt(s.median).padStart(10)} ${fmt(s.p90).padStart(10)} ${fmt(s.min).padStart(10)} ${fmt(s.max).padStart(10)}`);
  const dir = join(PROJECT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `contract-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify({ host: facts.hostname, euid: facts.euid, reps, results: Object.fromEntries(rows) }, null, 2) + "\n");
  console.log(`\nwrote ${file}`);
}

await main();
