import { test } from "node:test";
import assert from "node:assert/strict";
import { inMaintenanceWindow, resolveQuantity } from "./rollout-policy.js";

const at = (iso: string) => Date.parse(iso);

test("resolveQuantity: counts are capped at the total, percentages round up", () => {
  assert.equal(resolveQuantity(3, 10), 3);
  assert.equal(resolveQuantity(30, 10), 10);
  assert.equal(resolveQuantity("25%", 10), 3);
  assert.equal(resolveQuantity("0%", 10), 0);
  assert.equal(resolveQuantity("100%", 7), 7);
});

test("maintenance windows: none means always; same-day; past midnight belongs to the day it opened; days filter", () => {
  assert.equal(inMaintenanceWindow([], at("2026-11-26T12:00:00Z")), true);
  const night = [{ start: "22:00", end: "02:00", days: ["wed" as const] }];
  // 2026-11-25 is a Wednesday.
  assert.equal(inMaintenanceWindow(night, at("2026-11-25T23:30:00Z")), true);
  assert.equal(inMaintenanceWindow(night, at("2026-11-26T01:59:00Z")), true, "Thursday morning is Wednesday's window");
  assert.equal(inMaintenanceWindow(night, at("2026-11-26T02:00:00Z")), false, "end is exclusive");
  assert.equal(inMaintenanceWindow(night, at("2026-11-26T23:30:00Z")), false, "Thursday evening: no window opens on Thursday");
  assert.equal(inMaintenanceWindow(night, at("2026-11-25T01:00:00Z")), false, "Wednesday morning belongs to Tuesday");
  const day = [{ start: "09:00", end: "17:00" }];
  assert.equal(inMaintenanceWindow(day, at("2026-11-26T08:59:00Z")), false);
  assert.equal(inMaintenanceWindow(day, at("2026-11-26T09:00:00Z")), true);
  assert.equal(inMaintenanceWindow([{ start: "00:00", end: "00:00", days: ["sun" as const] }], at("2026-11-29T15:00:00Z")), true, "start = end: the whole day");
});
