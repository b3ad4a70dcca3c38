/**
 * A rollout over many test hosts with real agents, real Nix and the real
 * `hostplane server` process (its rollout loop at the 1 s tick), and how far
 * its wall time is from what the work itself needs.
 *
 *   npm run build && node dist/bench/rollout-hosts.js [--hosts 16] [--bake 2] [--waves 25%,50%,100%] [--max-unavailable 100%]
 *
 * Needs root (test hosts are namespaces). The lower bound is, per wave, the
 * slowest node's apply (its `received` to its `committed`, from the agent's
 * own step times) plus the wave's bake; the rollout's wall time runs from
 * its creation to its `rollout-finished` event. Overhead ratio = wall /
 * lower bound. Also shown per wave: the wait from the wave's start to its
 * first operation's `received`, the confirmation wait (`confirm-requested`
 * to `confirmed`) and the wait from the last `committed` to the bake's start,
 * which is where the loop's tick shows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { waitFor } from "../test/agent/_harness.js";
import { bootInto } from "../test/agent/_apply-hosts.js";
import { buildSystem, createTestFleet, makeBinaryCache, type TestFleet } from "../test/harness/hosts/index.js";
import { E2eAgent, fastPolicy, manifest, operationsOf, rolloutEvents, untilFinished } from "../test/rollout/_e2e.js";
import { ServerProcess } from "../test/rollout/_server-process.js";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "16" },
    bake: { type: "string", default: "2" },
    waves: { type: "string", default: "25%,50%,100%" },
    "max-unavailable": { type: "string", default: "100%" },
  },
});
const HOSTS = Number(values.hosts);
const BAKE = Number(values.bake);
const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;
const t = (iso: string) => Date.parse(iso);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "hp-bench-rollout-"));
  let fleet: TestFleet | undefined;
  let server: ServerProcess | undefined;
  const agents: E2eAgent[] = [];
  try {
    const setup = Date.now();
    fleet = await createTestFleet({ hosts: HOSTS, prefix: "rob" });
    const a = await buildSystem(fleet.buildStore, { name: "node", generationTag: "a" });
    const b = await buildSystem(fleet.buildStore, { name: "node", generationTag: "b" });
    const cache = await makeBinaryCache(fleet.buildStore, [b], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    server = new ServerProcess({ dbPath: join(dir, "control.db"), host: fleet.serverAddress.ipv6, cacheUrl: cache.url, trustedKeys: [cache.publicKey] });
    await server.start();
    const client = server.client();
    for (const h of fleet.hosts) await bootInto(fleet, h, a);
    for (const h of fleet.hosts) {
      const agent = new E2eAgent(h, dir, () => server!.url());
      agents.push(agent);
      await agent.start((await client.createBootstrapToken({})).token);
    }
    for (const h of fleet.hosts) {
      await waitFor(`${h.name} Ready`, async () => { const n = await client.getNode(h.name).catch(() => null); return n?.state === "Ready" && n.conditions.length === 0 && n.facts?.currentSystem === a; }, 120_000);
    }
    console.log(`setup: ${HOSTS} hosts with agents in ${ms(Date.now() - setup)}`);

    await client.createRelease(manifest("bench", { role: b }));
    const policy = fastPolicy({ canary: { count: 1, bakeSeconds: BAKE }, waves: values.waves.split(","), bakeSeconds: BAKE, maxUnavailable: values["max-unavailable"] });
    const created = await client.startRollout({ release: "bench", policy });
    const r = await untilFinished(client, created.id, 600_000);
    if (r.status !== "succeeded") throw new Error(`rollout ${r.status}: ${r.abortReason ?? ""}`);
    const events = await rolloutEvents(client, created.id);
    const finished = t(events.find((e) => e.type === "rollout-finished")!.at);
    const wall = finished - t(created.createdAt);

    const ops = new Map<string, { received: number; committed: number; confirmAsked: number; confirmed: number; startedAt: number }>();
    for (const h of fleet.hosts) {
      const op = (await operationsOf(client, h.name)).find((o) => o.rollout === created.id)!;
      const step = (s: string) => t(op.events.find((e) => e.step === s)!.at);
      ops.set(h.name, { received: step("received"), committed: step("committed"), confirmAsked: step("confirm-requested"), confirmed: step("confirmed"), startedAt: t(op.createdAt) });
    }
    const rows: string[] = [];
    let bound = 0;
    for (const w of r.progress) {
      const nodes = w.nodes.map((n) => ops.get(n)!);
      const apply = Math.max(...nodes.map((o) => o.committed - o.received));
      const bake = (w.wave === 0 && r.canaryWave ? policy.canary?.bakeSeconds ?? BAKE : BAKE) * 1000;
      bound += apply + bake;
      const waveStart = w.wave === 0 ? t(created.createdAt) : t(events.find((e) => e.type === "wave-started" && (e.data as { wave?: number } | null)?.wave === w.wave)!.at);
      const baking = t(events.find((e) => e.type === "wave-baking" && (e.data as { wave?: number } | null)?.wave === w.wave)!.at);
      const toOffer = Math.min(...nodes.map((o) => o.startedAt)) - waveStart;
      const toReceived = Math.min(...nodes.map((o) => o.received)) - waveStart;
      const confirmWait = Math.max(...nodes.map((o) => o.confirmed - o.confirmAsked));
      const toBake = baking - Math.max(...nodes.map((o) => o.committed));
      const waveEnd = w.wave + 1 < r.progress.length ? t(events.find((e) => e.type === "wave-started" && (e.data as { wave?: number } | null)?.wave === w.wave + 1)!.at) : finished;
      rows.push(`| ${w.wave} | ${w.nodes.length} | ${ms(apply)} | ${ms(bake)} | ${ms(waveEnd - waveStart)} | ${ms(toOffer)} / ${ms(toReceived)} | ${ms(confirmWait)} | ${ms(toBake)} | ${ms(waveEnd - baking - bake)} |`);
    }
    console.log(`\nrollout over ${HOSTS} hosts, waves ${r.progress.map((w) => w.nodes.length).join("+")}, bake ${BAKE} s, maxUnavailable ${values["max-unavailable"]}\n`);
    console.log("| wave | nodes | slowest apply | bake | wave wall | start → first op / received | max confirm wait | last commit → bake | bake end → next wave |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) console.log(row);
    console.log(`\nwall ${ms(wall)}, lower bound ${ms(bound)}, overhead ratio ${(wall / bound).toFixed(2)}`);
  } finally {
    for (const agent of agents) await agent.kill().catch(() => undefined);
    await fleet?.teardown();
    await server?.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
