/**
 * Probes never throw: each one turns its failure into `{ ok: false, reason }`
 * so that one unreadable /proc entry or missing tool costs one fact, not the
 * snapshot. ProbeError carries a reason already fit to show (what and where).
 */
import type { Probe } from "../facts.js";

/** A failure whose message is the probe's reason, e.g. `cannot read /proc/swaps: EACCES`. */
export class ProbeError extends Error {
  override readonly name = "ProbeError";
}

/** Runs one probe; an unexpected error (a bug, not a host fact) is still a reason, prefixed with what was probed. */
export async function probe<T>(what: string, fn: () => T | Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, reason: reasonOf(what, err) };
  }
}

export function reasonOf(what: string, err: unknown): string {
  if (err instanceof ProbeError) return err.message;
  return `${what}: unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

/** The errno code of a Node error (`EACCES`), else its message. */
export function codeOf(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return err instanceof Error ? err.message : String(err);
}

/** A ProbeError for content that does not look like what the kernel writes there. */
export function unexpectedContent(path: string, text: string, expected: string): ProbeError {
  const seen = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return new ProbeError(`unexpected content in ${path}: ${JSON.stringify(seen)} (expected ${expected})`);
}
