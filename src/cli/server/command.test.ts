import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { parseListen } from "./command.js";
import { parseDuration } from "./duration.js";

test("--listen HOST:PORT, IPv6 in brackets, empty host is all addresses", () => {
  assert.deepEqual(parseListen("[::]:8443"), { host: "::", port: 8443 });
  assert.deepEqual(parseListen("[2001:db8::1]:443"), { host: "2001:db8::1", port: 443 });
  assert.deepEqual(parseListen("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
  assert.deepEqual(parseListen("localhost:0"), { host: "localhost", port: 0 });
  assert.deepEqual(parseListen(":8443"), { host: "::", port: 8443 });
  for (const bad of ["8443", "::1:8443", "host:", "host:70000", "[::1]", "a:b:c"]) assert.throws(() => parseListen(bad), UsageError, bad);
});

test("durations", () => {
  assert.equal(parseDuration("90", "--ttl"), 90);
  assert.equal(parseDuration("90s", "--ttl"), 90);
  assert.equal(parseDuration("15m", "--ttl"), 900);
  assert.equal(parseDuration("1h", "--ttl"), 3600);
  assert.equal(parseDuration("30d", "--ttl"), 2_592_000);
  assert.equal(parseDuration("2w", "--ttl"), 1_209_600);
  assert.throws(() => parseDuration("1.5h", "--ttl"), /--ttl "1\.5h": expected a duration/);
  assert.throws(() => parseDuration("-1h", "--deadline"), /--deadline/);
});
