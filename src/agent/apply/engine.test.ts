/** The step machine with fake ports: garbage collection only when dead paths make room, and the order of steps and changes. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatPublicKey, generateKeyPair } from "../../cache/keys.js";
import { signNarinfo } from "../../cache/signature.js";
import type { OperationApi, OperationEvent } from "../api.js";
import { decode } from "../wire.js";
import { ApplyEngine } from "./engine.js";
import { Journal } from "./journal.js";
import type { NixPort } from "./nix-port.js";
import { MiB } from "./preflight.js";
import { EventReporter } from "./reporter.js";

const P = (name: string) => `/nix/store/${"b".repeat(30)}${String(name.length).padStart(2, "0")}-${name}`;
const HASH = "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";

async function scenario(o: { freeNix: number; deadBytes: number; nixBroken?: string }) {
  const dir = await mkdtemp(join(tmpdir(), "hp-engine-"));
  const key = generateKeyPair("fleet-1");
  const target = P("system-new");
  const info = { storePath: target, narHash: HASH, narSize: 200 * MiB, references: [] };
  const calls: string[] = [];
  let free = o.freeNix;
  const nix: NixPort = {
    cacheClosure: () => Promise.resolve([{ path: target, narHash: HASH, narSize: info.narSize, references: [], signatures: [signNarinfo(info, key.secretKey)] }]),
    present: () => (o.nixBroken === undefined ? Promise.resolve(new Set<string>()) : Promise.reject(new Error(o.nixBroken))),
    deadBytes: () => { calls.push("dead"); return Promise.resolve(o.deadBytes); },
    collectGarbage: (max) => { calls.push(`gc ${max}`); free += max; return Promise.resolve({ freedBytes: max, deletedCount: 3 }); },
    fetch: () => { calls.push("fetch"); return Promise.resolve({ copied: 1 }); },
    addRoot: () => Promise.resolve(),
    removeRoot: () => Promise.resolve(),
    setSystemProfile: () => { calls.push("profile"); return Promise.resolve({ generation: 2, created: true }); },
  };
  const events: OperationEvent[] = [];
  const order: string[] = [];
  const api: OperationApi = {
    operationEvent: (_n, _op, e) => { events.push(e); order.push(e.step); return Promise.resolve(); },
    confirm: () => Promise.resolve({ decision: "confirmed" as const }),
    operationStatus: () => Promise.resolve({ status: "running", decision: null }),
  };
  const signal = new AbortController().signal;
  const log = () => undefined;
  const sleep = () => Promise.resolve(true);
  const engine = new ApplyEngine({
    nix, api, log, sleep, now: Date.now, journal: new Journal(dir), reportFacts: () => { order.push("facts"); return Promise.resolve(); },
    reporter: new EventReporter({ api, nodeId: "n_1", log, sleep, signal }),
    units: { name: "fake", list: () => Promise.resolve([]) },
    contract: () => Promise.resolve({ ok: true, failing: [] }),
    host: {
      currentSystem: () => Promise.resolve(P("system-old")), bootedSystem: () => Promise.resolve(P("system-old")),
      freeBytes: (p) => Promise.resolve(p === "/nix" ? free : null), onBoot: () => Promise.resolve(true),
      switchTo: (system, action) => { calls.push(`${action} ${system}`); return Promise.resolve({ command: "s", action, exitCode: 0, signal: null, timedOut: false, stderrTail: "", durationMs: 1 }); },
    },
  }, { nodeId: "n_1", rootDir: dir, signal });
  const op = decode.Operation({ id: "op_1", epoch: 1, kind: "upgrade", target, cache: { url: "file:///c", publicKeys: [formatPublicKey(key.publicKey)] }, confirmTimeoutSeconds: 5, healthTimeoutSeconds: 5 });
  try {
    const outcome = await engine.apply(op);
    await new Promise((r) => setImmediate(r));
    return { outcome, calls, events, target, order };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("short on /nix with enough dead paths: collects just the shortfall, then fetches, activates and commits", async () => {
  // Needs 200 MiB + 512 MiB margin = 712 MiB; 700 MiB free → 12 MiB short, 50 MiB dead.
  const r = await scenario({ freeNix: 700 * MiB, deadBytes: 50 * MiB });
  assert.equal(r.outcome, "committed");
  assert.deepEqual(r.calls, ["dead", `gc ${12 * MiB}`, "fetch", `test ${r.target}`, "profile", `boot ${r.target}`]);
  assert.deepEqual(r.events.map((e) => e.step), ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "committed"]);
  assert.deepEqual(r.events[1]?.data?.gc, { deadBytes: 50 * MiB, freedBytes: 12 * MiB, deletedCount: 3 });
  // The node's facts (now naming the new system) reach the server before the outcome does: a bake judges the facts.
  assert.ok(r.order.includes("facts") && r.order.indexOf("facts") < r.order.indexOf("committed"), r.order.join(", "));
});

test("short on /nix and too few dead paths: nothing collected, fetched or activated", async () => {
  const r = await scenario({ freeNix: 700 * MiB, deadBytes: 5 * MiB });
  assert.equal(r.outcome, "failed");
  assert.deepEqual(r.calls, ["dead"]);
  assert.deepEqual(r.events.map((e) => [e.step, e.ok]), [["received", true], ["preflight", false], ["failed", false]]);
});

test("Nix failing in the preflight (no daemon, say) fails the operation with the reason; nothing fetched or activated", async () => {
  const r = await scenario({ freeNix: 10_000 * MiB, deadBytes: 0, nixBroken: "cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused" });
  assert.equal(r.outcome, "failed");
  assert.deepEqual(r.calls, []);
  assert.deepEqual(r.events.map((e) => [e.step, e.ok]), [["received", true], ["preflight", false], ["failed", false]]);
  assert.match(r.events[2]!.detail!, /preflight: cannot run the preflight: cannot connect to socket .*daemon-socket/);
});
