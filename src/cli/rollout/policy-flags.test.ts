import { test } from "node:test";
import assert from "node:assert/strict";
import { policyFromFlags } from "./policy-flags.js";

test("flags win over the policy file, each replacing the file's value as a whole", () => {
  const file = { canary: { labels: { zone: "a" }, count: 3, bakeSeconds: 600 }, waves: ["50%", "100%"], drain: "always", maintenanceWindows: [{ start: "01:00", end: "02:00" }], bakeSeconds: 900 };
  const r = policyFromFlags(file, "p.json", {
    "canary-label": ["canary=true"], waves: "10%, 100%", "max-unavailable": "2", "failure-budget": "10%", bake: "5m",
    "confirm-timeout": "90s", window: ["mon,TUE 22:00-02:00", "03:00-04:00"], "no-rollback-on-abort": true,
  });
  assert.ok(r.ok);
  assert.deepEqual(r.policy.canary, { labels: { canary: "true" }, count: 3 });
  assert.deepEqual(r.policy.waves, ["10%", "100%"]);
  assert.equal(r.policy.maxUnavailable, 2);
  assert.equal(r.policy.failureBudget, "10%");
  assert.equal(r.policy.bakeSeconds, 300);
  assert.equal(r.policy.drain, "always", "the file's value stays where no flag is given");
  assert.equal(r.policy.confirmTimeoutSeconds, 90);
  assert.deepEqual(r.policy.maintenanceWindows, [{ days: ["mon", "tue"], start: "22:00", end: "02:00" }, { start: "03:00", end: "04:00" }]);
  assert.equal(r.policy.rollbackOnAbort, false);
  assert.equal(file.canary.bakeSeconds, 600, "the file's object is not changed");
});

test("without file or flags the policy is the schema's defaults, and the input sent is empty", () => {
  const r = policyFromFlags(undefined, undefined, {});
  assert.ok(r.ok);
  assert.deepEqual(r.input, {});
  assert.deepEqual(r.policy.waves, ["10%", "50%", "100%"]);
});

test("every problem is listed, named by its flag or its path in the file", () => {
  const r = policyFromFlags({ healthTimeoutSeconds: -1, surprise: true }, "p.json", {
    "canary-label": ["nokey"], "canary-count": "two", "max-unavailable": "lots", bake: "5 minutes",
    drain: "sometimes", window: ["mon,tux 22:00-02:00", "whenever"],
  });
  assert.equal(r.ok, false);
  const text = r.ok ? "" : r.issues.map((i) => `${i.path}: ${i.message}`).join("\n");
  for (const expected of [
    /^--canary-label: "nokey": expected KEY=VALUE/m,
    /^--canary-count: "two": expected a whole number/m,
    /^--bake: "5 minutes": expected a duration/m,
    /^--window: "whenever": expected \[DAYS \]HH:MM-HH:MM/m,
    /^--max-unavailable \(maxUnavailable\): /m,
    /^--drain \(drain\): /m,
    /^--window \(maintenanceWindows\.0\.days\.1\): /m,
    /^p\.json: healthTimeoutSeconds: /m,
    /^p\.json: \(top level\): .*surprise/m,
  ]) assert.match(text, expected);
});

test("waves that shrink or do not end at 100% are named by --waves (the schema checks them once the rest is valid)", () => {
  const r = policyFromFlags(undefined, undefined, { waves: "50%,40%" });
  assert.equal(r.ok, false);
  const text = r.ok ? "" : r.issues.map((i) => `${i.path}: ${i.message}`).join("\n");
  assert.match(text, /^--waves \(waves\.1\): the last wave must be "100%"/m);
  assert.match(text, /^--waves \(waves\.1\): waves are cumulative and must grow: 40% after 50%/m);
});

test("a policy file that is not an object is named", () => {
  const r = policyFromFlags(["10%"], "p.json", {});
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.issues[0]!.path, /^p\.json$/);
});
