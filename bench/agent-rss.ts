/**
 * Idle memory of `hostplane agent`: a real agent process enrolled with a real
 * `hostplane server` child process (SQLite in a temp directory), measured once
 * it has heartbeated and sat idle in its long-poll.
 *
 *   npm run build && node dist/bench/agent-rss.js [--idle 30] [--samples 5] [--port 18444] [--node-options "--max-semi-space-size=1"]
 *
 * Reads VmRSS and VmHWM from /proc/PID/status of the agent after `--idle`
 * seconds, `--samples` times a second apart (median and max), and VmHWM
 * (the peak, which the contract gather at start sets). `--node-options` runs
 * the agent under V8 flags to compare. Target: idle RSS under 60 MB.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(PROJECT, "bin", "hostplane.js");
const TARGET_MB = 60;

const { values } = parseArgs({
  options: {
    idle: { type: "string", default: "30" },
    samples: { type: "string", default: "5" },
    port: { type: "string", default: "18444" },
    "node-options": { type: "string", default: "" },
  },
});
const IDLE_SECONDS = Number(values.idle);
const SAMPLES = Math.max(1, Number(values.samples));
const base = `http://127.0.0.1:${values.port}`;
const dir = mkdtempSync(join(tmpdir(), "hostplane-bench-rss-"));

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`hostplane ${args[0]} ${args[1] ?? ""}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function memory(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssKiB: kb("VmRSS"), hwmKiB: kb("VmHWM") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kib: number) => (kib / 1024).toFixed(1);

async function waitForOutput(child: ChildProcess, text: () => string, needle: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!text().includes(needle)) {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode} before "${needle}":\n${text()}`);
    if (Date.now() > deadline) throw new Error(`no "${needle}" from the agent after ${timeoutMs} ms:\n${text()}`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const db = `sqlite:${join(dir, "server.db")}`;
  const adminToken = (JSON.parse(cli(["token", "create", "--name", "bench", "--role", "admin", "--database", db, "--json"])) as { token: string }).token;
  const server = spawn(process.execPath, [CLI, "server", "--listen", `127.0.0.1:${values.port}`, "--database", db], { stdio: ["ignore", "ignore", "inherit"] });
  let agent: ChildProcess | undefined;
  try {
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${base}/v1/health`)).ok) break; } catch { /* not yet */ }
      await sleep(100);
    }
    writeFileSync(join(dir, "admin"), adminToken, { mode: 0o600 });
    const boot = JSON.parse(cli(["token", "bootstrap", "--server", base, "--token-file", join(dir, "admin"), "--json"])) as { token: string };
    writeFileSync(join(dir, "bootstrap"), boot.token, { mode: 0o600 });
    writeFileSync(join(dir, "workloads.json"), JSON.stringify([{ id: "vm-1", state: "running" }]));
    // Every contract group ignored: the gather still runs (as on a real host), the admission gate passes.
    writeFileSync(join(dir, "contract.json"), JSON.stringify({ ignore: ["kvm", "kernel", "cgroup", "network", "storage", "services", "hygiene", "nix"] }));
    const nodeArgs = values["node-options"] === "" ? [] : values["node-options"].split(/\s+/);
    const agentArgs = [
      CLI, "agent", "--server", base, "--state-dir", join(dir, "state"), "--bootstrap-token-file", join(dir, "bootstrap"),
      "--name", "bench-agent", "--workloads", `file:${join(dir, "workloads.json")}`, "--contract-config", join(dir, "contract.json"),
    ];
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, ...agentArgs], { stdio: ["ignore", "pipe", "pipe"] });
    agent = child;
    let out = "";
    child.stdout.on("data", (c: Buffer) => { out += c.toString("utf8"); });
    child.stderr.on("data", (c: Buffer) => { out += c.toString("utf8"); });
    await waitForOutput(child, () => out, "heartbeat with facts", 30_000);
    const runningMs = performance.now() - started;
    await sleep(IDLE_SECONDS * 1000);
    const samples: number[] = [];
    let hwm = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const m = memory(child.pid!);
      samples.push(m.rssKiB);
      hwm = Math.max(hwm, m.hwmKiB);
      if (i + 1 < SAMPLES) await sleep(1000);
    }
    samples.sort((a, b) => a - b);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    agent = undefined;
    console.log(`agent idle RSS: ${IDLE_SECONDS} s after its first heartbeat, ${SAMPLES} samples${values["node-options"] === "" ? "" : `, node ${values["node-options"]}`}`);
    console.log(`  VmRSS median ${mb(samples[Math.floor(samples.length / 2)]!)} MiB, max ${mb(samples.at(-1)!)} MiB; VmHWM ${mb(hwm)} MiB; target < ${TARGET_MB} MB`);
    console.log(`  first heartbeat ${(runningMs / 1000).toFixed(1)} s after start`);
  } finally {
    agent?.kill("SIGTERM");
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
