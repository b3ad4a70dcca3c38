import assert from "node:assert/strict";
import { test } from "node:test";
import { hashSecret, newCredential, parseCredential, secretMatches } from "./credentials.js";

test("a new credential parses back to its kind and id, and its secret matches the stored hash", () => {
  for (const kind of ["op", "boot", "node"] as const) {
    const c = newCredential(kind);
    assert.match(c.token, new RegExp(`^hp_${kind}_[0-9a-f]{16}_[\\w-]{43}$`));
    const p = parseCredential(c.token);
    assert.deepEqual(p && { kind: p.kind, id: p.id }, { kind, id: c.id });
    assert.equal(c.secretHash, hashSecret(p!.secret));
    assert.ok(secretMatches(p!.secret, c.secretHash));
    assert.ok(!secretMatches(p!.secret.slice(0, -1) + (p!.secret.endsWith("A") ? "B" : "A"), c.secretHash));
    assert.ok(!c.secretHash.includes(p!.secret));
  }
});

test("secrets containing _ still split at the third separator", () => {
  const token = `hp_op_0123456789abcdef_${"_".repeat(10)}${"a".repeat(33)}`;
  assert.equal(parseCredential(token)?.secret, `${"_".repeat(10)}${"a".repeat(33)}`);
});

test("anything else is not a credential", () => {
  for (const t of ["", "hp_", "hp_op_0123456789abcdef", "hp_op_0123456789ABCDEF_" + "a".repeat(43), "hp_root_0123456789abcdef_" + "a".repeat(43),
    "hp_op_0123456789abcdef_" + "a".repeat(42), "hp_op_0123456789abcdef_" + "a".repeat(44), "hp_op_0123456789abcdef_" + "a".repeat(42) + "=", "x".repeat(10_000)]) {
    assert.equal(parseCredential(t), null, t.slice(0, 40));
  }
  assert.equal(secretMatches("anything", null), false, "an unknown id never matches");
});
