/**
 * `hostplane rollout`, `drift` and `node history` as processes against a
 * rollout fleet served over a real socket, while this process drives the
 * simulated agents and ticks the loops (a fake clock: bakes pass in rounds).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { main } from "../../src/cli/main.js";
import { cliFleet } from "./_cli-fleet.js";
import { createRelease, enrollAgents, round, rolloutOf, SYSTEMS, until } from "./_rollouts.js";

interface Event { rollout: string; seq: number; type: string; node: string | null; detail: string }

function ndjson(text: string): Event[] {
  const lines = text.split("\n").filter((l) => l !== "");
  return lines.map((l) => JSON.parse(l) as Event);
}

/** Until `n` long-polls of a rollout's events have been answered (each watcher's first one answers at once: there are events). */
async function watchersConnected(f: { s: { logs: { msg: string; route?: unknown }[] } }, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (f.s.logs.filter((l) => l.msg === "request" && String(l.route).endsWith("/events")).length < n) {
    assert.ok(Date.now() < deadline, "the watchers did not connect");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const FAST = ["--bake", "5s", "--drain", "never", "--max-unavailable", "100%"];

test("rollout start: policy problems named and nothing started; file plus flags (flags win) as rollout show --json reports; list, show, pause, resume, abort", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const agents = await enrollAgents(f.s, f.env.clock, ["web-1", "web-2", "web-3"]);
  assert.equal((await createRelease(f.s)).status, 201);

  const bad = await f.cli(["rollout", "start", "2026-11-26.1", "--bake", "soon", "--drain", "sometimes", "--canary-label", "canary", "--max-unavailable", "lots"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^hostplane: the rollout policy is not valid, nothing was sent: 4 problems\n/);
  for (const line of [/^ {2}--bake: "soon": expected a duration/m, /^ {2}--drain \(drain\): /m, /^ {2}--canary-label: "canary": expected KEY=VALUE/m, /^ {2}--max-unavailable \(maxUnavailable\): /m]) assert.match(bad.stderr, line);
  const waves = await f.cli(["rollout", "start", "2026-11-26.1", "--policy", f.file("p0.json", { waves: ["50%", "40%"] })]);
  assert.equal(waves.code, 2);
  assert.match(waves.stderr, /\(p0\.json and flags\) is not valid/);
  assert.match(waves.stderr, /p0\.json: waves\.1: waves are cumulative and must grow/);
  const unknown = await f.cli(["rollout", "start", "nope"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no release with id or name "nope"/);
  assert.equal((await f.s.repo.listRollouts()).length, 0);

  const policy = f.file("policy.json", { drain: "always", bakeSeconds: 600, canary: { count: 2, bakeSeconds: 900 }, waves: ["50%", "100%"], failureBudget: 1, maintenanceWindows: [{ start: "01:00", end: "02:00" }] });
  const started = await f.cli(["rollout", "start", "2026-11-26.1", "--policy", policy, "--canary-count", "1", "--bake", "2m", "--drain", "never",
    "--waves", "100%", "--max-unavailable", "2", "--confirm-timeout", "90s", "--window", "sat,sun 22:00-02:00", "--window", "03:00-04:00", "--no-rollback-on-abort"]);
  assert.equal(started.code, 0, started.stderr);
  const id = /^rollout (ro_\w+) of release 2026-11-26\.1 started: 3 nodes in 2 waves; wave 0 \(canaries\): web-1\n/.exec(started.stdout)?.[1];
  assert.ok(id, started.stdout);
  assert.match(started.stdout, new RegExp(`hostplane rollout watch ${id}`));

  const shown = JSON.parse((await f.cli(["rollout", "show", id, "--json"])).stdout) as { policy: Record<string, unknown>; progress: { nodes: string[] }[] };
  assert.deepEqual(shown.policy, {
    canary: { count: 1 }, waves: ["100%"], maxUnavailable: 2, failureBudget: 1, bakeSeconds: 120, drain: "never", drainDeadlineSeconds: 3600,
    maintenanceWindows: [{ days: ["sat", "sun"], start: "22:00", end: "02:00" }, { start: "03:00", end: "04:00" }],
    confirmTimeoutSeconds: 90, healthTimeoutSeconds: 120, operationTimeoutSeconds: 1800, rollbackOnAbort: false,
  });
  assert.deepEqual(shown.progress.map((w) => w.nodes), [["web-1"], ["web-2", "web-3"]]);
  const show = await f.cli(["rollout", "show", id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^status: {2}running, wave 0 of 0-1 \(canaries\)$/m);
  assert.match(show.stdout, /windows sat,sun 22:00-02:00; daily 03:00-04:00 UTC, no rollback on abort/);
  assert.match(show.stdout, /^→ 0 canary \[\.{20}\] 0\/1 done, 1 waiting$/m);
  assert.match(show.stdout, /^NODE\s+WAVE\s+OUTCOME\s+OPERATION\s+STEP\s+REASON\nweb-1\s+0\s+waiting\s+-\s+-\n/m);
  const list = await f.cli(["rollout", "list"]);
  assert.match(list.stdout, new RegExp(`^${id}\\s+2026-11-26\\.1\\s+running\\s+1/2\\s`, "m"));

  assert.match((await f.cli(["rollout", "pause", id])).stdout, /is now paused/);
  const twice = await f.cli(["rollout", "pause", id]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /cannot pause rollout .*: it is paused .*\(HTTP 409 illegal-transition\)/);
  assert.equal((await rolloutOf(f.s, id)).status, "paused");
  assert.match((await f.cli(["rollout", "resume", id])).stdout, /is now running/);
  const noReason = await f.cli(["rollout", "abort", id]);
  assert.equal(noReason.code, 2);
  assert.match(noReason.stderr, /rollout abort needs --reason TEXT/);
  const misplaced = await f.cli(["rollout", "pause", id, "--bake", "1m"]);
  assert.equal(misplaced.code, 2);
  assert.match(misplaced.stderr, /--bake does not go with rollout pause/);
  const aborted = await f.cli(["rollout", "abort", id, "--reason", "wrong window"]);
  assert.equal(aborted.code, 0, aborted.stderr);
  assert.match(aborted.stdout, /is aborting: no rollback/);
  await until(f.s, f.env.clock, agents, id, ["aborted"]);
  // Watching a finished rollout prints its events and ends at once: 1, it was aborted.
  const watched = await f.cli(["rollout", "watch", id, "--json"]);
  assert.equal(watched.code, 1, watched.stderr);
  const events = ndjson(watched.stdout);
  assert.equal(events[0]?.type, "wave-started");
  assert.ok(events.some((e) => e.type === "rollout-aborting" && e.detail.includes("wrong window")));
  assert.ok(events.every((e) => e.rollout === id));
  const human = await f.cli(["rollout", "show", id]);
  assert.match(human.stdout, /^aborted: aborted by operator:oscar: wrong window$/m);
  // On a terminal the page is redrawn in place (home, clear), its lines cut to the terminal's width.
  let out = "";
  const code = await main(["rollout", "watch", id], {
    stdout: (t) => { out += t; }, stderr: (t) => { out += t; }, cwd: f.env.dir, env: f.vars, isTTY: true, columns: 60, rows: 40, now: () => Date.now(), version: "test",
  });
  assert.equal(code, 1, out);
  assert.ok(out.startsWith("\x1b[H\x1b[J"), JSON.stringify(out.slice(0, 40)));
  assert.match(out, /^recent events:$/m);
  assert.match(out, /rollout-aborting .*…$/m);
  const page = out.slice(0, out.lastIndexOf("rollout ro_"));
  assert.ok(page.split("\n").every((l) => l.replace("\x1b[H\x1b[J", "").length <= 59), "the page is cut to the width");
  assert.match(out, /was aborted: aborted by operator:oscar: wrong window\n$/);
});

test("rollout watch follows a rollout to its end: NDJSON for scripts (exit 0), appended lines for a pipe; then node history, drift and node list", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const agents = await enrollAgents(f.s, f.env.clock, ["web-1", "web-2", "web-3"]);
  assert.equal((await createRelease(f.s)).status, 201);
  const started = await f.cli(["rollout", "start", "2026-11-26.1", ...FAST, "--waves", "100%", "--json"]);
  assert.equal(started.code, 0, started.stderr);
  const id = (JSON.parse(started.stdout) as { id: string }).id;
  const json = f.cli(["rollout", "watch", id, "--json"]);
  const plain = f.cli(["rollout", "watch", id]);
  await watchersConnected(f, 2);
  await until(f.s, f.env.clock, agents, id, ["succeeded"]);
  const [j, p] = await Promise.all([json, plain]);
  assert.equal(j.code, 0, j.stderr);
  const events = ndjson(j.stdout);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "every event once, in order");
  assert.deepEqual(events.filter((e) => e.type === "node-done").map((e) => e.node).sort(), ["web-1", "web-2", "web-3"]);
  assert.equal(events.at(-1)?.type, "rollout-finished");
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^watching rollout ro_\w+ of release 2026-11-26\.1: running, 3 nodes in 2 waves\n/);
  assert.match(p.stdout, /^\d\d:\d\d:\d\d {2}node-done {8}web-2: upgrade op_\w+ committed/m);
  assert.match(p.stdout, /^wave 0 \(canary\) \[#{20}\] 1\/1 done$/m);
  assert.match(p.stdout, /^wave 1 \[#{20}\] 2\/2 done$/m);
  assert.match(p.stdout, /rollout ro_\w+ succeeded\n$/);
  assert.ok(!p.stdout.includes("\x1b["), "no terminal control codes in a pipe");

  const history = await f.cli(["node", "history", "web-2"]);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, new RegExp(`^\\S+ {2}upgrade op_\\w+ \\(epoch 1, rollout ${id}\\): succeeded$`, "m"));
  assert.ok(history.stdout.includes(`target:   ${SYSTEMS.new}`));
  assert.match(history.stdout, /decision: confirmed/);
  for (const step of ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "committed"]) assert.match(history.stdout, new RegExp(`^ {2}\\S+ {2}${step}$`, "m"));
  const historyJson = JSON.parse((await f.cli(["node", "history", "web-2", "--json", "--limit", "1"])).stdout) as { operations: { kind: string; status: string; events: unknown[] }[] };
  assert.deepEqual(historyJson.operations.map((o) => [o.kind, o.status, o.events.length]), [["upgrade", "succeeded", 8]]);

  const inSync = await f.cli(["drift"]);
  assert.equal(inSync.code, 0, inSync.stderr);
  assert.match(inSync.stdout, /^NODE\s+DRIFT\s+REASON\nweb-1\s+InSync\s+-\n/);
  assert.match(inSync.stdout, /^3 InSync$/m);
  // Someone switches web-2 by hand: drift says so and exits 1, for cron and CI.
  agents.get("web-2")!.current = SYSTEMS.other;
  await agents.get("web-2")!.heartbeat();
  const drifted = await f.cli(["drift"]);
  assert.equal(drifted.code, 1, drifted.stderr);
  assert.match(drifted.stdout, /^web-2\s+Drifted\s+\S.*$/m);
  assert.match(drifted.stdout, /^2 InSync, 1 Drifted$/m);
  const driftJson = await f.cli(["drift", "--json"]);
  assert.equal(driftJson.code, 1);
  assert.deepEqual((JSON.parse(driftJson.stdout) as { counts: unknown }).counts, { InSync: 2, Drifted: 1, RebootRequired: 0, Unknown: 0 });
  const nodes = await f.cli(["node", "list"]);
  assert.match(nodes.stdout, /^NAME\s+STATE\s+CONDITIONS\s+CONTRACT\s+GENERATION\s+LAST HEARTBEAT\s+DRIFT\n/);
  assert.match(nodes.stdout, /^web-2\s+Ready\s.*\sDrifted$/m);
  assert.match(nodes.stdout, /^web-1\s+Ready\s.*\sInSync$/m);
});

test("a failing canary: watch --json ends with exit 1, show lists the failure with its reason, node history the refused upgrade", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const agents = await enrollAgents(f.s, f.env.clock, ["web-1", "web-2"]);
  assert.equal((await createRelease(f.s)).status, 201);
  agents.get("web-1")!.healthy = false;
  const started = await f.cli(["rollout", "start", "2026-11-26.1", ...FAST, "--json"]);
  const id = (JSON.parse(started.stdout) as { id: string }).id;
  const watch = f.cli(["rollout", "watch", id, "--json"]);
  await watchersConnected(f, 1);
  await until(f.s, f.env.clock, agents, id, ["aborted"]);
  const w = await watch;
  assert.equal(w.code, 1, w.stderr);
  const events = ndjson(w.stdout);
  assert.ok(events.some((e) => e.type === "node-failed" && e.node === "web-1"), JSON.stringify(events.map((e) => e.type)));
  assert.equal(events.at(-1)?.type, "rollout-finished");

  const show = await f.cli(["rollout", "show", id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^status: {2}aborted$/m);
  assert.match(show.stdout, /^web-1\s+0\s+failed\s+upgrade rolled-back\s+rolled-back\s+\S/m);
  assert.match(show.stdout, /^failed \(1\):\n {2}web-1: \S/m);
  const history = await f.cli(["node", "history", "web-1"]);
  assert.match(history.stdout, /upgrade op_\w+ \(epoch 1, rollout ro_\w+\): rolled-back$/m);
  assert.match(history.stdout, /decision: refused/);
  assert.match(history.stdout, /check: {4}bin\/health-check FAILED: exit 1/);
  assert.match(history.stdout, /^ {2}\S+ {2}health \(failed\): bin\/health-check exited 1$/m);
});

test("the incident runbook: pause mid-rollout, abort with rollback, upgraded nodes get a rollback operation (node history newest first)", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const agents = await enrollAgents(f.s, f.env.clock, ["web-1", "web-2", "web-3", "web-4"]);
  assert.equal((await createRelease(f.s)).status, 201);
  const started = await f.cli(["rollout", "start", "2026-11-26.1", ...FAST, "--waves", "100%", "--json"]);
  const id = (JSON.parse(started.stdout) as { id: string }).id;
  for (let i = 0; i < 30 && (await rolloutOf(f.s, id)).nodes.find((n) => n.name === "web-1")?.outcome !== "done"; i++) await round(f.s, f.env.clock, agents);
  assert.equal((await f.cli(["rollout", "pause", id])).code, 0);
  const aborted = await f.cli(["rollout", "abort", id, "--reason", "p99 latency up on web-1", "--json"]);
  assert.equal(aborted.code, 0, aborted.stderr);
  assert.equal((JSON.parse(aborted.stdout) as { status: string }).status, "aborting");
  await until(f.s, f.env.clock, agents, id, ["aborted"]);
  assert.equal(agents.get("web-1")!.current, SYSTEMS.old, "rolled back");
  const history = await f.cli(["node", "history", "web-1", "--json"]);
  const ops = (JSON.parse(history.stdout) as { operations: { kind: string; status: string }[] }).operations;
  assert.deepEqual(ops.map((o) => [o.kind, o.status]), [["rollback", "succeeded"], ["upgrade", "succeeded"]]);
  const human = await f.cli(["node", "history", "web-1"]);
  assert.ok(human.stdout.indexOf(" rollback op_") < human.stdout.indexOf(" upgrade op_"), "newest first");
  const drift = await f.cli(["drift"]);
  assert.equal(drift.code, 0, drift.stdout);
});
