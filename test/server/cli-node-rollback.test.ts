/**
 * `hostplane node rollback` as a process against a rollout fleet (real app,
 * real signed cache, simulated agents): one node back to its previous
 * generation through a release for that node alone and a one-wave rollout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliFleet } from "./_cli-fleet.js";
import { createRelease, enrollAgents, manifest, SYSTEMS, until } from "./_rollouts.js";

const FAST = ["--bake", "5s", "--drain", "never", "--max-unavailable", "100%", "--waves", "100%"];

test("node rollback: the generation before the running one, for that node only, with the source and checks of the release that named it; refusals say why", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const agents = await enrollAgents(f.s, f.env.clock, ["web-1", "web-2"]);
  assert.equal((await createRelease(f.s)).status, 201);
  const up = await f.cli(["rollout", "start", "2026-11-26.1", ...FAST, "--json"]);
  assert.equal(up.code, 0, up.stderr);
  await until(f.s, f.env.clock, agents, (JSON.parse(up.stdout) as { id: string }).id, ["succeeded"]);
  for (const a of agents.values()) assert.deepEqual(a.generations.map((g) => [g.number, g.path, g.current]), [[1, SYSTEMS.old, false], [2, SYSTEMS.new, true]]);

  // No release ever named the old system: its source is unknown, and nothing is created.
  const unknownSource = await f.cli(["node", "rollback", "web-1"]);
  assert.equal(unknownSource.code, 2, unknownSource.stderr);
  assert.match(unknownSource.stderr, new RegExp(`no release \\(of the newest 50\\) gave web-1 ${SYSTEMS.old.replace(/[.+]/g, "\\$&")}, so its source is not known; say what it was built from with --commit SHA or --flake REF`));
  assert.equal((await f.s.repo.listReleases()).length, 1);
  const noGen = await f.cli(["node", "rollback", "web-1", "--to", "9"]);
  assert.equal(noGen.code, 2);
  assert.match(noGen.stderr, /--to 9: web-1 has no system profile generation 9 \(it has 1, 2 \(current\)\)/);
  const notThere = await f.cli(["node", "rollback", "web-1", "--to", SYSTEMS.unsigned, "--commit", "4b1e0c1"]);
  assert.equal(notThere.code, 2, notThere.stderr);
  assert.match(notThere.stderr, /^hostplane: the server refused the rollback release for web-1 \(\/nix\/store\/\w+-nixos-system-unsigned\), nothing was started \(HTTP 422 release-rejected\): 1 problem\n {2}nodes\.web-1\.path: .*signed only by keys that are not trusted \(stranger-1\)/);
  assert.equal((await f.s.repo.listRollouts()).length, 1, "a refused release starts nothing");
  const same = await f.cli(["node", "rollback", "web-1", "--to", "2"]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /web-1 already runs /);
  const misplaced = await f.cli(["node", "show", "web-1", "--to", "1"]);
  assert.equal(misplaced.code, 2);
  assert.match(misplaced.stderr, /--to goes with rollback, not show/);

  // The old system's own release (older, with its checks): the rollback takes its source and checks.
  const base = manifest({ name: "2026-11-20.1", source: { commit: "9c0ffee" }, roles: { "microvm-host": { path: SYSTEMS.old, healthChecks: [{ kind: "http", url: "http://127.0.0.1:9/healthz" }] } } });
  assert.equal((await createRelease(f.s, base)).status, 201);
  const r = await f.cli(["node", "rollback", "web-1", "--bake", "5s", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as { node: string; from: string; target: string; generation: number; basedOn: string; release: string; rollout: string; manifest: { source: unknown; nodes: Record<string, { path: string; healthChecks: unknown[] }> }; policy: unknown };
  assert.equal(plan.node, "web-1");
  assert.equal(plan.from, SYSTEMS.new);
  assert.equal(plan.target, SYSTEMS.old);
  assert.equal(plan.generation, 1);
  assert.equal(plan.basedOn, "2026-11-20.1");
  assert.deepEqual(plan.manifest.source, { commit: "9c0ffee" });
  assert.deepEqual(Object.keys(plan.manifest.nodes), ["web-1"]);
  assert.deepEqual(plan.manifest.nodes["web-1"]!.healthChecks, [{ kind: "http", url: "http://127.0.0.1:9/healthz", timeoutSeconds: 10 }]);
  assert.match(plan.release, /^rollback-web-1-\d{8}T\d{6}\.\d{3}Z$/);
  assert.deepEqual(plan.policy, { canary: { count: 0 }, waves: ["100%"], bakeSeconds: 5 });

  // The rollout takes web-1 alone back; web-2 stays on the new system.
  await until(f.s, f.env.clock, agents, plan.rollout, ["succeeded"]);
  assert.equal(agents.get("web-1")!.current, SYSTEMS.old);
  assert.equal(agents.get("web-2")!.current, SYSTEMS.new);
  const op = (await f.s.repo.listRollouts()).find((x) => x.id === plan.rollout);
  assert.ok(op, "the rollout is stored");
  const history = await f.cli(["node", "history", "web-1", "--limit", "1"]);
  assert.match(history.stdout, new RegExp(`upgrade op_\\w+ \\(epoch \\d+, rollout ${plan.rollout}\\): succeeded`));
  assert.ok(history.stdout.includes(`target:   ${SYSTEMS.old}`));

  // For people: what it does, and how to follow it.
  const human = await f.cli(["node", "rollback", "web-2", "--commit", "4b1e0c2"]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^rolling web-2 back to ${SYSTEMS.old.replace(/[.+]/g, "\\$&")} \\(generation 1\\)\n`));
  assert.match(human.stdout, /^ {2}based on: release 2026-11-20\.1 \(its source and health checks\)$/m);
  assert.match(human.stdout, /^follow it: hostplane rollout watch ro_\w+$/m);
  // Again while that rollout runs: its release is made, the rollout refused, and the message says how to start it later.
  const again = await f.cli(["node", "rollback", "web-2", "--commit", "4b1e0c2"]);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /^hostplane: release rollback-web-2-\S+ \(web-2 → \/nix\/store\/\S+\) was created, but its rollout was refused: .+; once that is sorted out: hostplane rollout start rollback-web-2-\S+ --waves 100% --canary-count 0\n/);
});
