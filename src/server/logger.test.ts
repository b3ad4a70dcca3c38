import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonLineLogger } from "./logger.js";

test("jsonLineLogger writes one JSON line per record at its level or above; info by default", () => {
  const lines: string[] = [];
  const time = "2026-11-26T00:00:00.000Z";
  const log = jsonLineLogger((l) => lines.push(l));
  for (const level of ["debug", "info", "warn", "error"] as const) log({ time, level, msg: level });
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ["info", "warn", "error"]);
  assert.ok(lines.every((l) => l.endsWith("}\n") && !l.slice(0, -1).includes("\n")));
  lines.length = 0;
  const verbose = jsonLineLogger((l) => lines.push(l), { level: "debug" });
  verbose({ time, level: "debug", msg: "heartbeat", node: "web-1" });
  assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ time, level: "debug", msg: "heartbeat", node: "web-1" }]);
  const quiet = jsonLineLogger((l) => lines.push(l), { level: "error" });
  quiet({ time, level: "warn", msg: "dropped" });
  assert.equal(lines.length, 1);
});
