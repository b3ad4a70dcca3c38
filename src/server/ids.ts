/** Ids of releases, rollouts and operations: a prefix saying what it is, then 64 random bits in hex. */
import { randomBytes } from "node:crypto";

export function newId(prefix: "rel" | "ro" | "op"): string {
  return `${prefix}_${randomBytes(8).toString("hex")}`;
}
