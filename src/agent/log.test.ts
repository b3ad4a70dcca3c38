import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonLog } from "./log.js";

test("JSON lines with time, level, msg and fields; warnings on stderr; debug hidden by default; secrets redacted", () => {
  const out: string[] = [];
  const err: string[] = [];
  const logging = jsonLog({ stdout: (l) => out.push(l), stderr: (l) => err.push(l) }, { now: () => 0 });
  const { log } = logging;
  const addSecret = (s: string) => logging.addSecret(s);
  const secret = "hp_node_0123456789abcdef_SECRETSECRETSECRET";
  addSecret(secret);
  log("info", "enrolled", { nodeId: "n_1" });
  log("debug", "heartbeat");
  log("warn", `oops ${secret}`, { nested: { value: `Bearer ${secret}` } });
  assert.deepEqual(out.map((l) => JSON.parse(l) as unknown), [{ time: "1970-01-01T00:00:00.000Z", level: "info", msg: "enrolled", nodeId: "n_1" }]);
  assert.equal(err.length, 1);
  assert.ok(!err[0]!.includes(secret));
  assert.deepEqual(JSON.parse(err[0]!), { time: "1970-01-01T00:00:00.000Z", level: "warn", msg: "oops [redacted]", nested: { value: "Bearer [redacted]" } });
});
