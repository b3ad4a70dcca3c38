/** The rotation planner advances a stage only when that stage's check holds, and never skips one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rotationStatus, type HostTrust } from "../../src/cache/rotation.js";
import { generateKeyPair, formatPublicKey } from "../../src/cache/index.js";
import type { TrustPolicy } from "../../src/cache/trust-policy.js";

const k1 = formatPublicKey(generateKeyPair("fleet-1").publicKey);
const k2 = formatPublicKey(generateKeyPair("fleet-2").publicKey);
const nixos = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

function policy(keys: [string, "trusted" | "revoked"][], signer?: string): TrustPolicy {
  return {
    substituters: [{ url: "https://cache.fleet.example", keys: keys.map(([k]) => k.slice(0, k.indexOf(":"))) }],
    keys: keys.map(([publicKey, status]) => ({ name: publicKey.slice(0, publicKey.indexOf(":")), publicKey, status })),
    ...(signer !== undefined ? { signer } : {}),
  };
}
const hosts = (...trusts: string[][]): HostTrust[] => trusts.map((t, i) => ({ source: `h${i}.conf`, trustedKeys: [nixos, ...t] }));
const states = (s: ReturnType<typeof rotationStatus>): string => s.stages.map((x) => x.state[0]).join("");
const run = (p: TrustPolicy, h: HostTrust[], doubleSigned?: { ok: boolean; detail: string }): ReturnType<typeof rotationStatus> =>
  rotationStatus({ policy: p, base: "fleet", hosts: h, policyFile: "trust.yaml", ...(doubleSigned ? { doubleSigned } : {}) });

test("a fleet with one key has not started: generate is next", () => {
  const s = run(policy([[k1, "trusted"]], "fleet-1"), hosts([k1], [k1]));
  assert.equal(s.next?.id, "generate");
  assert.equal(s.to, null);
  assert.match(s.next?.action ?? "", /key generate --name fleet/);
});

test("each stage advances only when its own check holds", () => {
  const started = policy([[k1, "trusted"], [k2, "trusted"]], "fleet-1");
  // Stage 2 waits for every host.
  let s = run(started, hosts([k1, k2], [k1]));
  assert.equal(s.next?.id, "trust-both");
  assert.match(s.stages[1]!.detail, /1\/2 hosts trust fleet-2; not yet: h1\.conf/);
  // All hosts trust both; double-signing not checked → unknown, and nothing after it counts as done.
  s = run(policy([[k1, "trusted"], [k2, "trusted"]], "fleet-2"), hosts([k1, k2], [k1, k2]));
  assert.equal(states(s), "ddupp");
  assert.equal(s.next?.id, "double-sign");
  s = run(policy([[k1, "trusted"], [k2, "trusted"]], "fleet-1"), hosts([k1, k2], [k1, k2]), { ok: false, detail: "12 paths lack fleet-2" });
  assert.equal(s.next?.id, "double-sign");
  s = run(started, hosts([k1, k2], [k1, k2]), { ok: true, detail: "all signed" });
  assert.equal(s.next?.id, "switch-signer");
  const switched = policy([[k1, "trusted"], [k2, "trusted"]], "fleet-2");
  s = run(switched, hosts([k1, k2], [k1, k2]), { ok: true, detail: "all signed" });
  assert.equal(s.next?.id, "retire-old");
  // Revoked in the policy but a host still trusts it: not done.
  const retired = policy([[k1, "revoked"], [k2, "trusted"]], "fleet-2");
  s = run(retired, hosts([k2], [k1, k2]), { ok: true, detail: "all signed" });
  assert.equal(s.next?.id, "retire-old");
  assert.match(s.stages[4]!.detail, /1\/2 hosts still trust it/);
  s = run(retired, hosts([k2], [k2]), { ok: true, detail: "all signed" });
  assert.equal(s.next, null);
  assert.equal(states(s), "ddddd");
});

test("a later check holding does not skip an earlier pending stage", () => {
  // Signer already switched, but one host does not trust the new key yet: stage 2 is next, 4 is not done.
  const s = run(policy([[k1, "trusted"], [k2, "trusted"]], "fleet-2"), hosts([k1, k2], [k1]), { ok: true, detail: "" });
  assert.equal(s.next?.id, "trust-both");
  assert.equal(s.stages[3]!.state, "pending");
});
