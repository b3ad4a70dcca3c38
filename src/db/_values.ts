/**
 * Values on their way into the store, checked so that both backends hold them
 * identically: timestamps normalised to `toISOString()` (their text order is
 * their time order), text without NUL or unpaired surrogates, secret hashes in
 * hex, JSON with sorted keys. And JSON on its way out, with keys in one order
 * whatever the backend kept.
 */
import { InvalidValueError } from "./repository.js";

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `value` as `toISOString()` would write it; InvalidValueError naming `what` for anything else. */
export function timestamp(value: string, what: string): string {
  const m = ISO_8601.exec(value);
  if (m === null) throw new InvalidValueError(`${what} must be an ISO-8601 timestamp with a zone (e.g. 2025-01-31T12:00:00.000Z), got ${quote(value)}`);
  const n = (group: number): number => Number(m[group] ?? 0);
  // Date.parse rolls 30 February over into March; a stored timestamp must mean what it says.
  const day = new Date(Date.UTC(n(1), n(2) - 1, n(3)));
  const fieldsValid = day.getUTCMonth() === n(2) - 1 && day.getUTCDate() === n(3) && n(4) < 24 && n(5) < 60 && n(6) < 60 && n(7) < 24 && n(8) < 60;
  const iso = fieldsValid ? new Date(Date.parse(value)).toISOString() : "";
  if (!CANONICAL.test(iso)) throw new InvalidValueError(`${what} is not a valid time between years 0000 and 9999: ${quote(value)}`);
  return iso;
}

export function optionalTimestamp(value: string | null, what: string): string | null {
  return value === null ? null : timestamp(value, what);
}

const UNSTORABLE = /[\0\p{Cs}]/u;

/** Text both backends store as given: PostgreSQL refuses NUL, and both drivers turn an unpaired surrogate into U+FFFD. */
export function text(value: string, what: string): string {
  if (UNSTORABLE.test(value)) throw new InvalidValueError(`${what} contains a NUL character or an unpaired UTF-16 surrogate, which the store cannot hold: ${quote(value)}`);
  return value;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A hex SHA-256, so a secret passed here by mistake is refused rather than stored (and never echoed). */
export function secretHash(value: string, what: string): string {
  if (!SHA256_HEX.test(value)) throw new InvalidValueError(`${what} must be a hex SHA-256 (64 lower-case hex digits); the value given is not shown`);
  return value;
}

/** JSON with the keys of every object sorted, so both backends store the same text. */
export function json(value: unknown, what: string): string {
  const out = JSON.stringify(value, (key, v: unknown) => {
    if (UNSTORABLE.test(key) || (typeof v === "string" && UNSTORABLE.test(v))) unstorable(what, key);
    return isPlainObject(v) ? sortedObject(v) : v;
  });
  // JSON.stringify answers undefined for undefined, functions and symbols.
  if (out === undefined) throw new InvalidValueError(`${what} is not representable as JSON`);
  return out;
}

/** null (and undefined) as SQL NULL; anything else as JSON text. */
export function jsonOrNull(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : json(value, what);
}

export type JsonParser = (text: string) => unknown;

/** For text this module wrote (SQLite keeps it verbatim). */
export const parseJson: JsonParser = (text) => JSON.parse(text);

/** For text PostgreSQL's jsonb gives back: it orders keys by length, so sort them again. */
export const parseJsonSorted: JsonParser = (text) => JSON.parse(text, (_key, v: unknown) => (isPlainObject(v) ? sortedObject(v) : v));

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortedObject(v: Record<string, unknown>): Record<string, unknown> {
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// The value itself is not shown: JSON documents may hold anything.
function unstorable(what: string, key: string): never {
  throw new InvalidValueError(`${what} has a NUL character or an unpaired UTF-16 surrogate at key ${quote(key)}, which the store cannot hold`);
}

/** A value for a message: JSON-quoted (so control characters show), cut at 80 characters. */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
