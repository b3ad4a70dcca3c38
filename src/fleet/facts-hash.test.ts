import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { canonicalJson, factsHash } from "./facts-hash.js";

test("canonical JSON sorts keys at every depth, keeps array order, drops undefined members", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson([undefined, "é\n"]), '[null,"é\\n"]');
  assert.equal(canonicalJson({ "\u00e9": 1, e: 2, E: 3 }), '{"E":3,"e":2,"é":1}');
});

test("the hash does not depend on key order, and survives a JSON round trip", () => {
  const a = { hostname: "web-1", freeBytes: { "/nix": 1.5e10, "/boot": 4e8 }, generations: [{ number: 1, current: true }] };
  const b = { generations: [{ current: true, number: 1 }], freeBytes: { "/boot": 4e8, "/nix": 1.5e10 }, hostname: "web-1" };
  assert.equal(factsHash(a), factsHash(b));
  assert.equal(factsHash(JSON.parse(JSON.stringify(a))), factsHash(a));
  assert.equal(factsHash(a), createHash("sha256").update('{"freeBytes":{"/boot":400000000,"/nix":15000000000},"generations":[{"current":true,"number":1}],"hostname":"web-1"}').digest("hex"));
  assert.notEqual(factsHash(a), factsHash({ ...a, hostname: "web-2" }));
});
