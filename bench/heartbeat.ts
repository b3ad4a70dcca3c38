/**
 * Heartbeat load on the control plane: N simulated agents (lightweight
 * clients in this process, no namespaces) heartbeating every 10 s against one
 * `hostplane server` child process.
 *
 *   npm run build && node dist/bench/heartbeat.js [--nodes 10000] [--seconds 60] [--database sqlite|postgres]
 *
 * Enrolls N nodes (one bootstrap token with N uses, full facts on the first
 * heartbeat), then spreads N heartbeats evenly over every 10 s period, each
 * carrying only the facts hash (as a real agent does when nothing changed).
 * Reports heartbeat latency p50/p99 (client side), achieved rate, errors, and
 * the server's CPU time and peak RSS (from /proc), and the client's own CPU
 * (it shares the machine). Targets (issue 5): p99 under 50 ms and server RSS
 * under 500 MB. `--profile DIR` runs the server under `node --cpu-prof`.
 *
 * The client is node:http over a keep-alive pool, not fetch(): fetch builds
 * web Request/Response objects and streams for every request, CPU taken from
 * the two cores the server runs on.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { factsHash } from "../src/fleet/facts-hash.js";
import type { NodeFacts } from "../src/fleet/node.js";

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(PROJECT, "bin", "hostplane.js");

const { values } = parseArgs({ options: { nodes: { type: "string", default: "10000" }, seconds: { type: "string", default: "60" }, database: { type: "string", default: "sqlite" }, port: { type: "string", default: "18443" }, profile: { type: "string" } } });
const N = Number(values.nodes);
const SECONDS = Number(values.seconds);
const PERIOD_MS = 10_000;
const base = `http://127.0.0.1:${values.port}`;
const dir = mkdtempSync(join(tmpdir(), "hostplane-bench-hb-"));

function database(): string {
  if (values.database === "sqlite") return `sqlite:${join(dir, "server.db")}`;
  const db = `hostplane_bench_${process.pid}`;
  spawnSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-c", `CREATE DATABASE ${db}`], { encoding: "utf8" });
  return `postgres://postgres@127.0.0.1:5432/${db}`;
}

function facts(name: string): NodeFacts {
  return {
    hostname: name, kernel: "6.6.58", currentSystem: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system", bootedSystem: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system",
    generations: [{ number: 42, path: "/nix/var/nix/profiles/system-42-link", current: true }], freeBytes: { "/nix": 50e9, "/boot": 400e6 },
    nixTrust: { "require-sigs": true }, workloads: [{ id: "vm-1", state: "running" }], contract: { ok: true }, agentVersion: "bench",
  };
}

// Enough sockets for the in-flight requests at 1,000/s with some stalls; reused, never one per request.
// Idle ones close after 4 s, before the server's 5 s keep-alive timeout, so none is reused as the server closes it.
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });

function post(path: string, token: string, body: unknown): Promise<{ status: number; json: unknown; ms: number }> {
  const t = performance.now();
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(base + path, {
      method: "POST", agent,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")), ms: performance.now() - t }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function procStat(pid: number): { cpuSeconds: number; rssMiB: number; hwmMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/** Busy and total jiffies of the whole machine: other work on it (PostgreSQL, other processes) shows in the difference. */
function machineStat(): { busy: number; steal: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, steal: cpu[7] ?? 0, total };
}

/** CPU ticks of every process by "name pid", to name what else ran when latency spiked. */
function processTicks(names: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const text = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = names[pid] ?? text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      out.set(`${name} ${pid}`, Number(f[11]) + Number(f[12]));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

interface Second { maxMs: number; count: number; machineBusy: number; steal: number; top: string }

const pct = (s: number[], q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;

async function main(): Promise<void> {
  const url = database();
  const admin = spawnSync(process.execPath, [CLI, "token", "create", "--name", "bench", "--role", "admin", "--database", url, "--json"], { encoding: "utf8" });
  if (admin.status !== 0) throw new Error(`token create: ${admin.stderr}`);
  const adminToken = (JSON.parse(admin.stdout) as { token: string }).token;
  const profile = values.profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", resolve(values.profile)];
  const server = spawn(process.execPath, [...profile, CLI, "server", "--listen", `127.0.0.1:${values.port}`, "--database", url], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${base}/v1/health`)).ok) break; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    // A bootstrap token allows at most 10,000 enrollments: one per 10,000 nodes.
    const bootTokens: string[] = [];
    for (let i = 0; i < N; i += 10_000) {
      const boot = await post("/v1/bootstrap-tokens", adminToken, { uses: Math.min(10_000, N - i), ttlSeconds: 86400 });
      if (boot.status !== 201) throw new Error(`bootstrap token: ${boot.status} ${JSON.stringify(boot.json)}`);
      bootTokens.push((boot.json as { token: string }).token);
    }
    const nodes: { id: string; credential: string; hash: string }[] = [];
    const t0 = performance.now();
    for (let i = 0; i < N; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, N - i) }, async (_, k) => {
        const name = `n${i + k}`;
        const r = await post("/v1/enroll", bootTokens[Math.floor((i + k) / 10_000)]!, { name });
        if (r.status !== 201) throw new Error(`enroll ${name}: ${r.status} ${JSON.stringify(r.json)}`);
        const { node, credential } = r.json as { node: { id: string }; credential: string };
        const f = facts(name);
        const hash = factsHash(f);
        await post(`/v1/nodes/${node.id}/heartbeat`, credential, { factsHash: hash, facts: f, contract: { ok: true, failing: [], evaluatedAt: new Date().toISOString() } });
        return { id: node.id, credential, hash };
      }));
      nodes.push(...batch);
    }
    const enrollSeconds = (performance.now() - t0) / 1000;
    const before = procStat(server.pid!);
    const clientBefore = process.cpuUsage();
    const machineBefore = machineStat();
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    const error = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);
    // Prometheus scrapes every 15 s while the nodes beat: a scrape counts every node.
    const scrapes: number[] = [];
    const scraper = setInterval(() => {
      const t = performance.now();
      void fetch(`${base}/metrics`).then((r) => r.text()).then(() => scrapes.push(performance.now() - t), () => error("scrape failed"));
    }, 15_000);
    // Once a second: the slowest heartbeat answered in it, and how busy the machine was and with what.
    const seconds: Second[] = [];
    let window = { maxMs: 0, count: 0 };
    let lastMachine = machineStat();
    const names = { [String(server.pid)]: "SERVER", [String(process.pid)]: "CLIENT" };
    let lastTicks = processTicks(names);
    const sampler = setInterval(() => {
      const m = machineStat();
      const ticks = processTicks(names);
      const top = [...ticks].map(([k, v]) => [k, v - (lastTicks.get(k) ?? v)] as const).filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]).slice(0, 4);
      const total = m.total - lastMachine.total;
      seconds.push({
        ...window, machineBusy: (m.busy - lastMachine.busy) / total, steal: (m.steal - lastMachine.steal) / total,
        top: top.map(([k, d]) => `${k.split(" ")[0]} ${d}%`).join(", "),
      });
      window = { maxMs: 0, count: 0 };
      lastMachine = m;
      lastTicks = ticks;
    }, 1000);
    const start = performance.now();
    const end = start + SECONDS * 1000;
    // Each node beats every 10 s, the N nodes evenly spread over the period.
    await Promise.all(nodes.map(async (n, i) => {
      let next = start + (i / N) * PERIOD_MS;
      while (next < end) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          const r = await post(`/v1/nodes/${n.id}/heartbeat`, n.credential, { factsHash: n.hash, contract: { ok: true, failing: [], evaluatedAt: new Date().toISOString() } });
          if (r.status === 200) latencies.push(r.ms); else error(`HTTP ${r.status}`);
          window.count++;
          window.maxMs = Math.max(window.maxMs, r.ms);
        } catch (e) { error((e as NodeJS.ErrnoException).code ?? String(e)); }
        next += PERIOD_MS;
      }
    }));
    clearInterval(scraper);
    clearInterval(sampler);
    const elapsed = (performance.now() - start) / 1000;
    const after = procStat(server.pid!);
    const client = process.cpuUsage(clientBefore);
    const machineAfter = machineStat();
    latencies.sort((a, b) => a - b);
    console.log(`heartbeat load: ${N} nodes every 10 s, ${values.database}, ${SECONDS} s (enrolment took ${enrollSeconds.toFixed(1)} s)`);
    const failed = [...errors.values()].reduce((a, b) => a + b, 0);
    console.log(`  heartbeats ${latencies.length} ok, ${failed} errors${failed ? ` (${[...errors].map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""}, ${(latencies.length / elapsed).toFixed(0)}/s`);
    console.log(`  latency p50 ${pct(latencies, 0.5).toFixed(1)} ms, p90 ${pct(latencies, 0.9).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
    console.log(`  server CPU ${((after.cpuSeconds - before.cpuSeconds) / elapsed * 100).toFixed(0)}% of a core, RSS ${after.rssMiB.toFixed(0)} MiB (peak ${after.hwmMiB.toFixed(0)} MiB); client CPU ${((client.user + client.system) / 1e4 / elapsed).toFixed(0)}%`);
    console.log(`  /metrics scrapes ${scrapes.map((ms) => `${ms.toFixed(0)} ms`).join(", ") || "none"}`);
    const busy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
    const slowest = [...seconds].sort((a, b) => b.maxMs - a.maxMs).slice(0, 3);
    // Busy time no listed process accounts for is processes that started and ended within the second, the kernel, or steal.
    console.log(`  slowest seconds (max latency; machine busy, of it stolen by the hypervisor; top processes still running, % of a core):`);
    for (const w of slowest) console.log(`    ${w.maxMs.toFixed(0)} ms; ${(w.machineBusy * 100).toFixed(0)}%, steal ${(w.steal * 100).toFixed(0)}%; ${w.top}`);
    console.log(`  machine ${(busy * 100).toFixed(0)}% busy (all ${availableParallelism()} CPUs: server, client, PostgreSQL, anything else running)`);
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    if (values.database !== "sqlite") spawnSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-c", `DROP DATABASE IF EXISTS hostplane_bench_${process.pid} WITH (FORCE)`]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
