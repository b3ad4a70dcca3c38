/** run(): stdin input, and the old behaviour (stdin is /dev/null) when there is none. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { run } from "./run.js";

test("input is written to the child's stdin, which is then closed", async () => {
  const r = await run("cat", [], { input: "line one\nline two\n", timeoutMs: 5000 });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout.toString("utf8"), "line one\nline two\n");
});

test("a Buffer input arrives byte for byte", async () => {
  const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
  const r = await run("cat", [], { input: bytes, timeoutMs: 5000 });
  assert.deepEqual(r.stdout, bytes);
});

test("without input, stdin is /dev/null: cat sees end of file at once instead of waiting", async () => {
  const r = await run("cat", [], { timeoutMs: 5000 });
  assert.equal(r.timedOut, false);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout.length, 0);
});

test("a child that exits without reading a large input is a normal result, not an EPIPE rejection", async () => {
  const r = await run("true", [], { input: Buffer.alloc(8 << 20, 0x61), timeoutMs: 5000 });
  assert.equal(r.exitCode, 0);
});

test("input to a command that cannot start still rejects with SpawnError", async () => {
  await assert.rejects(run("/nonexistent/hostplane-no-such-tool", [], { input: "x" }), { name: "SpawnError" });
});
