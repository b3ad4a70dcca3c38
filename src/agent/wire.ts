/**
 * Checks of the server's answers the agent relies on (enroll, heartbeat,
 * desired state, its own node, problems), written out instead of taken from
 * the zod schemas in src/server/schemas.ts: zod and the schemas cost the
 * resident agent about 13 MB of its 60 MB budget. They accept what those
 * schemas accept (wire.test.ts compares them on generated answers), so the
 * schemas stay the one definition of the API.
 */
import { NODE_STATES } from "../fleet/node.js";
import type { DesiredState } from "../server/schemas.js";

/** The answer is not what the API promises; `path` says where. */
export class WireError extends Error {
  override readonly name = "WireError";
  constructor(readonly path: string, message: string) {
    super(`${path === "" ? "(root)" : path}: ${message}`);
  }
}

type Decoder<T> = (value: unknown, path: string) => T;
/** An object field that may be absent (not null). */
interface Optional<T> { optional: Decoder<T> }
type Field = Decoder<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type Out<S extends Shape> =
  { [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Decoder<infer T> ? T : never } &
  { [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Optional<infer T> ? T : never };

function fail(path: string, expected: string, value: unknown): never {
  throw new WireError(path, `expected ${expected}, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`);
}

const str: Decoder<string> = (v, p) => (typeof v === "string" ? v : fail(p, "a string", v));
const bool: Decoder<boolean> = (v, p) => (typeof v === "boolean" ? v : fail(p, "a boolean", v));
const int: Decoder<number> = (v, p) => (typeof v === "number" && Number.isSafeInteger(v) ? v : fail(p, "an integer", v));

function oneOf<const T extends string>(values: readonly T[]): Decoder<T> {
  return (v, p) => ((values as readonly unknown[]).includes(v) ? (v as T) : fail(p, `one of ${values.join(", ")}`, v));
}

function nullable<T>(d: Decoder<T>): Decoder<T | null> {
  return (v, p) => (v === null ? null : d(v, p));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function record<T>(d: Decoder<T>): Decoder<Record<string, T>> {
  return (v, p) => {
    if (!isPlainObject(v)) return fail(p, "an object", v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, d(x, `${p}.${k}`)]));
  };
}

function array<T>(d: Decoder<T>): Decoder<T[]> {
  return (v, p) => (Array.isArray(v) ? v.map((x, i) => d(x, `${p}.${i}`)) : fail(p, "an array", v));
}

/** Known fields checked and kept; unknown fields dropped (as zod's object does), so a newer server's additions pass. */
function object<S extends Shape>(shape: S): Decoder<Out<S>> {
  return (v, p) => {
    if (!isPlainObject(v)) return fail(p, "an object", v);
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(shape)) {
      const path = p === "" ? k : `${p}.${k}`;
      if (typeof f === "function") out[k] = f(v[k], path);
      else if (v[k] !== undefined) out[k] = f.optional(v[k], path);
    }
    return out as Out<S>;
  };
}

const optional = <T>(d: Decoder<T>): Optional<T> => ({ optional: d });
const nodeState = oneOf(NODE_STATES);

const drainProgress = object({
  startedAt: str,
  deadline: str,
  force: bool,
  deadlinePassed: optional(bool),
  evictions: record(object({
    attempts: int,
    nextAttemptAt: nullable(str),
    status: oneOf(["pending", "evicted", "error"]),
    error: optional(str),
  })),
});

const desiredState: Decoder<DesiredState> = object({ version: int, state: nodeState, drain: nullable(drainProgress), decommission: bool });

const enrollResponse = object({
  node: object({ id: str, name: str, state: nodeState }),
  credential: str,
  heartbeatSeconds: int,
  leaseSeconds: int,
});

const heartbeatResponse = object({ needFacts: bool, desired: desiredState, heartbeatSeconds: int });

/** The part of NodeDetail the agent reads (GET /v1/nodes/{name} with its own credential). */
const nodeRef = object({ id: str, name: str, state: nodeState });

const problem = object({
  type: str, title: str, status: int, detail: str, code: str,
  errors: optional(array(object({ path: str, message: str }))),
});

export type EnrollAnswer = ReturnType<typeof enrollResponse>;
export type HeartbeatAnswer = ReturnType<typeof heartbeatResponse>;
export type NodeRef = ReturnType<typeof nodeRef>;
export type Problem = ReturnType<typeof problem>;

/** Every decoder by the API's schema name; throws WireError. */
export const decode = {
  DesiredState: (v: unknown): DesiredState => desiredState(v, ""),
  EnrollResponse: (v: unknown): EnrollAnswer => enrollResponse(v, ""),
  HeartbeatResponse: (v: unknown): HeartbeatAnswer => heartbeatResponse(v, ""),
  NodeRef: (v: unknown): NodeRef => nodeRef(v, ""),
  Problem: (v: unknown): Problem => problem(v, ""),
};
