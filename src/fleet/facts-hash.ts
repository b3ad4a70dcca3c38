/**
 * The facts hash: a heartbeat without changes sends only this, and the server
 * asks for the facts when it differs from the one it stored. Agent and server
 * must compute it the same way, so both import this function.
 */
import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted (by UTF-16 code units, as Array.prototype.sort
 * does), no whitespace, array order kept and `undefined` members dropped — the
 * same text for the same data whatever order the keys were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined || typeof v === "function") continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Lower-case hex SHA-256 of the canonical JSON of `facts`. */
export function factsHash(facts: unknown): string {
  return createHash("sha256").update(canonicalJson(facts)).digest("hex");
}
