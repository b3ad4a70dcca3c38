import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidValueError } from "./repository.js";
import { json, parseJsonSorted, secretHash, text, timestamp } from "./_values.js";

test("timestamps come out as toISOString() writes them, whatever zone and precision went in", () => {
  assert.equal(timestamp("2025-03-01T12:00:00.000Z", "t"), "2025-03-01T12:00:00.000Z");
  assert.equal(timestamp("2025-03-01T12:00Z", "t"), "2025-03-01T12:00:00.000Z");
  assert.equal(timestamp("2025-03-01T14:00:00+02:00", "t"), "2025-03-01T12:00:00.000Z");
  assert.equal(timestamp("2025-03-01T00:30:00.123456789-01:00", "t"), "2025-03-01T01:30:00.123Z");
  assert.equal(timestamp("2024-02-29T00:00:00Z", "t"), "2024-02-29T00:00:00.000Z");
});

test("timestamps that are not ISO-8601 with a zone, or name no real time, are refused with the value shown", () => {
  for (const bad of ["2025-03-01T12:00:00", "2025-03-01", "March 1 2025", "2025-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2025-01-01T24:00:00Z",
    "2025-01-01T00:60:00Z", "2025-01-01T00:00:60Z", "2025-01-01T00:00:00+24:00", "9999-12-31T23:30:00-01:00", " 2025-03-01T12:00:00Z"]) {
    assert.throws(() => timestamp(bad, "enrolledAt of node web-1"), (e: Error) =>
      e instanceof InvalidValueError && e.message.startsWith("enrolledAt of node web-1 ") && e.message.includes(JSON.stringify(bad)), bad);
  }
});

test("text with NUL or an unpaired surrogate is refused; paired surrogates are fine", () => {
  assert.equal(text("web-🙂", "name"), "web-🙂");
  assert.throws(() => text("a\u0000b", "node name"), /node name contains a NUL character/);
  assert.throws(() => text("a\udc00", "node name"), InvalidValueError);
  assert.throws(() => text("\ud83d", "node name"), InvalidValueError);
});

test("a secret hash must be hex SHA-256, and the message never shows what was given", () => {
  const hash = "a".repeat(64);
  assert.equal(secretHash(hash, "h"), hash);
  for (const bad of ["A".repeat(64), "a".repeat(63), "hp_op_0123456789abcdef_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U"]) {
    assert.throws(() => secretHash(bad, "secret hash of operator token x"), (e: Error) => e instanceof InvalidValueError && !e.message.includes(bad));
  }
});

test("JSON is written with sorted keys at every depth, and jsonb's order is sorted back", () => {
  assert.equal(json({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }, "x"), '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  // jsonb orders keys by length first; reading sorts them.
  assert.equal(JSON.stringify(parseJsonSorted('{"b": 1, "aa": {"y": 2, "xx": 1}}')), '{"aa":{"xx":1,"y":2},"b":1}');
  // "__proto__" stays a key, not a prototype.
  const parsed = parseJsonSorted('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ["__proto__", "a"]);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  assert.throws(() => json({ k: "a\u0000" }, "facts of node n"), /facts of node n has a NUL character or an unpaired UTF-16 surrogate at key "k"/);
  assert.throws(() => json({ ["\ud800"]: 1 }, "labels"), InvalidValueError);
  assert.throws(() => json(undefined, "before"), /not representable as JSON/);
});
