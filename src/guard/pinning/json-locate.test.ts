import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { getMember, MAX_JSON_DEPTH, parseJsonWithPositions } from "./json-locate.js";
import type { JsonValue } from "./json-locate.js";

function toPlain(value: JsonValue): unknown {
  switch (value.kind) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const member of value.members) {
        Object.defineProperty(out, member.key, { value: toPlain(member.value), enumerable: true, configurable: true, writable: true });
      }
      return out;
    }
    case "array":
      return value.items.map(toPlain);
    case "string":
    case "number":
    case "boolean":
      return value.value;
    case "null":
      return null;
  }
}

void describe("parseJsonWithPositions", () => {
  void it("records offsets of keys and values", () => {
    const text = '{ "a": [1, "x\\n"], "b": { "c": true } }';
    const result = parseJsonWithPositions(text);
    assert.ok(result.ok);
    assert.equal(result.value.kind, "object");
    if (result.value.kind !== "object") return;
    const a = getMember(result.value, "a");
    assert.ok(a);
    assert.equal(text.slice(a.keyStart, a.keyEnd), '"a"');
    assert.equal(text.slice(a.value.start, a.value.end), '[1, "x\\n"]');
    const b = getMember(result.value, "b");
    assert.ok(b && b.value.kind === "object");
    const c = getMember(b.value, "c");
    assert.ok(c);
    assert.equal(text.slice(c.value.start, c.value.end), "true");
    assert.deepEqual(toPlain(result.value), JSON.parse(text));
  });

  void it("uses the last duplicate key, like JSON.parse", () => {
    const result = parseJsonWithPositions('{"k": 1, "k": 2}');
    assert.ok(result.ok && result.value.kind === "object");
    assert.deepEqual(getMember(result.value, "k")?.value, { kind: "number", start: 14, end: 15, value: 2 });
  });

  void it("reports the offset of the first error", () => {
    assert.deepEqual(parseJsonWithPositions('{"a": 1,}'), {
      ok: false,
      offset: 8,
      message: 'expected a string key, found "}"',
    });
    const unterminated = parseJsonWithPositions('{"a": "abc');
    assert.ok(!unterminated.ok);
    assert.equal(unterminated.offset, 6);
    const trailing = parseJsonWithPositions("1 2");
    assert.ok(!trailing.ok);
    assert.equal(trailing.offset, 2);
    for (const bad of ["", "01", "1.", "-", "1e", "tru", '"\\x"', '"\\u12G4"', '"a\tb"', "[1 2]", "{'a':1}", "NaN"]) {
      assert.equal(parseJsonWithPositions(bad).ok, false, bad);
    }
  });

  void it("limits nesting instead of overflowing the stack", () => {
    const deep = "[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1);
    const result = parseJsonWithPositions(deep);
    assert.ok(!result.ok);
    assert.match(result.message, /nesting/);
    assert.ok(parseJsonWithPositions("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)).ok);
    assert.ok(!parseJsonWithPositions("[".repeat(100_000)).ok);
  });

  void it("agrees with JSON.parse on generated JSON", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const result = parseJsonWithPositions(text);
        assert.ok(result.ok);
        assert.deepEqual(toPlain(result.value), JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  void it("accepts exactly what JSON.parse accepts on arbitrary strings", () => {
    const jsonish = fc.string({ unit: fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", "u", "0", "1", "-", "e", ".", " ", "t", "n", "a") });
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish), (text) => {
        let expected = true;
        try {
          JSON.parse(text);
        } catch {
          expected = false;
        }
        const result = parseJsonWithPositions(text);
        assert.equal(result.ok, expected, text);
        if (!result.ok) assert.ok(result.offset >= 0 && result.offset <= text.length);
      }),
      { numRuns: 1000 },
    );
  });
});
