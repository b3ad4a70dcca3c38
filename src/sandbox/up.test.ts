import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sandboxPrefix } from "./up.js";

test("the default sandbox directory is fleet sbx; any other directory gets its own prefix, stable and valid for the harness", () => {
  assert.equal(sandboxPrefix(join(tmpdir(), "hostplane-sandbox")), "sbx");
  const other = sandboxPrefix("/srv/demo");
  assert.match(other, /^s[0-9a-f]{5}$/);
  assert.equal(sandboxPrefix("/srv/demo/"), other, "the same directory, the same fleet");
  assert.notEqual(sandboxPrefix("/srv/demo2"), other);
});
