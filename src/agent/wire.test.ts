/** Differential: the agent's hand-written answer checks against the server's zod schemas (the oracle), on valid answers and on mutations of them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DesiredStateSchema, EnrollResponseSchema, HeartbeatResponseSchema, ProblemSchema } from "../server/schemas.js";
import { decode } from "./wire.js";

const desired = {
  version: 7, state: "Drained", decommission: false,
  drain: { startedAt: "2026-11-26T10:00:00.000Z", deadline: "2026-11-26T11:00:00.000Z", force: true, deadlinePassed: true,
    evictions: { "vm-a": { attempts: 2, nextAttemptAt: null, status: "evicted" }, "vm-b": { attempts: 1, nextAttemptAt: "2026-11-26T10:01:00.000Z", status: "error", error: "HTTP 500" } } },
};
const cases = [
  { name: "DesiredState", check: decode.DesiredState, oracle: DesiredStateSchema, sample: desired },
  { name: "HeartbeatResponse", check: decode.HeartbeatResponse, oracle: HeartbeatResponseSchema, sample: { needFacts: false, desired: { ...desired, drain: null }, heartbeatSeconds: 10 } },
  { name: "EnrollResponse", check: decode.EnrollResponse, oracle: EnrollResponseSchema, sample: { node: { id: "n_1", name: "web-3", state: "Registered" }, credential: "hp_node_x", heartbeatSeconds: 10, leaseSeconds: 40 } },
  { name: "Problem", check: decode.Problem, oracle: ProblemSchema, sample: { type: "urn:x", title: "Invalid", status: 400, detail: "d", code: "invalid-request", errors: [{ path: "body.name", message: "m" }] } },
];

/** Every path to a value inside `v`. */
function paths(v: unknown, at: string[] = []): string[][] {
  const here = [at];
  if (typeof v !== "object" || v === null) return here;
  return [...here, ...Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => paths(x, [...at, k]))];
}

/** `v` with the value at `path` replaced (or deleted when `value` is undefined). */
function mutate(v: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(v) ? [...(v as unknown[])] : { ...(v as object) }) as Record<string, unknown>;
  const [k, ...rest] = path as [string, ...string[]];
  // JSON has no holes: deleting from an array removes the element.
  if (rest.length === 0 && value === undefined) { if (Array.isArray(copy)) copy.splice(Number(k), 1); else delete copy[k]; }
  else copy[k] = mutate(copy[k], rest, value);
  return copy;
}

function agree(c: (typeof cases)[number], value: unknown): void {
  const z = c.oracle.safeParse(value);
  let mine: unknown;
  let error: unknown;
  try { mine = c.check(value); } catch (err) { error = err; }
  assert.equal(error === undefined, z.success, `${c.name}: zod ${z.success ? "accepts" : "refuses"} ${JSON.stringify(value)}; the agent ${error === undefined ? "accepts" : `refuses (${(error as Error).message})`}`);
  if (z.success) assert.deepEqual(mine, z.data);
}

for (const c of cases) {
  test(`${c.name}: accepted and refused exactly as the server's schema does`, () => {
    agree(c, c.sample);
    agree(c, { ...c.sample, addedByANewerServer: 1 });
    const all = paths(c.sample);
    const leaf = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.constantFrom("Drained", "Ready", "pending", "evicted", 1.5, -1, 2 ** 60), fc.jsonValue(), fc.array(fc.integer(), { maxLength: 2 }));
    fc.assert(fc.property(fc.constantFrom(...all), leaf, (path, value) => { agree(c, mutate(c.sample, path, value)); }), { numRuns: 400 });
  });
}
