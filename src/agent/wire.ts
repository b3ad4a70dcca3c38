/**
 * Checks of the server's answers the agent relies on (enroll, heartbeat,
 * desired state, its own node, problems), written out instead of taken from
 * the zod schemas in src/server/schemas.ts: zod and the schemas cost the
 * resident agent about 13 MB of its 60 MB budget. They accept what those
 * schemas accept (wire.test.ts compares them on generated answers), so the
 * schemas stay the one definition of the API.
 */
import { NODE_STATES } from "../fleet/node.js";
import { CLOSURE_PATH_RE, STORE_PATH_RE } from "../fleet/store-paths.js";
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

const OP_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function matching(re: RegExp, what: string): Decoder<string> {
  return (v, p) => (typeof v === "string" && re.test(v) ? v : fail(p, what, v));
}

function bounded(min: number, max: number): Decoder<number> {
  return (v, p) => (typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max ? v : fail(p, `an integer from ${min} to ${max}`, v));
}

const storePath = matching(STORE_PATH_RE, "a store path (/nix/store/<hash>-<name>)");
const commandCheck = object({
  kind: oneOf(["command"]), name: optional(str), path: matching(CLOSURE_PATH_RE, "a relative path inside the system closure, without '..'"),
  args: optional(array(str)), timeoutSeconds: optional(bounded(1, 3600)),
});
const httpCheck = object({ kind: oneOf(["http"]), name: optional(str), url: matching(/^https?:\/\/\S+$/, "an http(s) URL"), expectStatus: optional(bounded(100, 599)), timeoutSeconds: optional(bounded(1, 3600)) });
const healthCheck: Decoder<ReturnType<typeof commandCheck> | ReturnType<typeof httpCheck>> = (v, p) =>
  (isPlainObject(v) && v.kind === "http" ? httpCheck(v, p) : commandCheck(v, p));

/** An operation the node is to apply (docs/ops/upgrades-and-rollback.md, "Wire protocol"). */
const operation = object({
  id: matching(OP_ID_RE, "an operation id (letters, digits, _ . -)"),
  epoch: bounded(1, Number.MAX_SAFE_INTEGER),
  kind: oneOf(["upgrade", "rollback"]),
  rollout: optional(nullable(str)),
  target: storePath,
  previous: optional(nullable(storePath)),
  closureSize: optional(nullable(bounded(0, Number.MAX_SAFE_INTEGER))),
  cache: object({ url: str, publicKeys: array(str) }),
  healthChecks: optional(array(healthCheck)),
  confirmTimeoutSeconds: bounded(1, 86_400),
  healthTimeoutSeconds: bounded(1, 86_400),
});

export type Operation = ReturnType<typeof operation>;

/** The desired state plus the operation (absent or null: none), which servers that predate operations do not send. */
const agentDesired = (v: unknown, p: string): DesiredState & { operation?: Operation | null } => {
  const base = desiredState(v, p);
  const op = isPlainObject(v) ? v.operation : undefined;
  return op === undefined ? base : { ...base, operation: nullable(operation)(op, p === "" ? "operation" : `${p}.operation`) };
};

const enrollResponse = object({
  node: object({ id: str, name: str, state: nodeState }),
  credential: str,
  heartbeatSeconds: int,
  leaseSeconds: int,
});

const heartbeatResponse = object({ needFacts: bool, desired: agentDesired, heartbeatSeconds: int });

const confirmAnswer = object({ decision: oneOf(["confirmed", "refused", "pending"]), reason: optional(nullable(str)) });

/** GET …/operations/{op}: the status and decision the agent reads when recovering (other fields are the server's). */
const operationStatus: Decoder<{ status: string; decision: string | null }> = (v, p) => {
  const o = isPlainObject(v) && isPlainObject(v.operation) ? v.operation : v;
  const r = object({ status: str, decision: optional(nullable(str)) })(o, p);
  return { status: r.status, decision: r.decision ?? null };
};

/** The part of NodeDetail the agent reads (GET /v1/nodes/{name} with its own credential). */
const nodeRef = object({ id: str, name: str, state: nodeState });

const problem = object({
  type: str, title: str, status: int, detail: str, code: str,
  errors: optional(array(object({ path: str, message: str }))),
});

export type HealthCheckSpec = ReturnType<typeof healthCheck>;
export type AgentDesired = ReturnType<typeof agentDesired>;
export type ConfirmAnswer = ReturnType<typeof confirmAnswer>;
export type OperationStatus = ReturnType<typeof operationStatus>;
export type EnrollAnswer = ReturnType<typeof enrollResponse>;
export type HeartbeatAnswer = ReturnType<typeof heartbeatResponse>;
export type NodeRef = ReturnType<typeof nodeRef>;
export type Problem = ReturnType<typeof problem>;

/** Every decoder by the API's schema name; throws WireError. */
export const decode = {
  DesiredState: (v: unknown): AgentDesired => agentDesired(v, ""),
  Operation: (v: unknown): Operation => operation(v, ""),
  ConfirmAnswer: (v: unknown): ConfirmAnswer => confirmAnswer(v, ""),
  OperationStatus: (v: unknown): OperationStatus => operationStatus(v, ""),
  EnrollResponse: (v: unknown): EnrollAnswer => enrollResponse(v, ""),
  HeartbeatResponse: (v: unknown): HeartbeatAnswer => heartbeatResponse(v, ""),
  NodeRef: (v: unknown): NodeRef => nodeRef(v, ""),
  Problem: (v: unknown): Problem => problem(v, ""),
};
