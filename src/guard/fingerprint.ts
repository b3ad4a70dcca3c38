/**
 * Stable finding identities for baselines.
 *
 * A fingerprint is built from the rule, the file, the attribute path and a
 * hash of the matched source text (whitespace-normalised), plus an occurrence
 * counter that tells identical tuples in one file apart. It contains no line
 * number, so it survives edits that only shift code, and it stores no secret:
 * the matched text enters only through a SHA-256 digest.
 */
import { createHash } from "node:crypto";

export interface FingerprintInput {
  ruleId: string;
  /** Path relative to the scan root, forward slashes. */
  file: string;
  attrPath?: string;
  /** The source text slice of the finding. Never stored, only hashed. */
  matchedText: string;
}

/** Hex characters kept from the SHA-256 digest. */
export const FINGERPRINT_LENGTH = 32;

const SEP = "\u0000";

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Collapses whitespace runs to one space and trims, so re-indentation keeps the fingerprint. */
function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * One fingerprint per input, in input order. Pass the findings of a file in
 * source order: the n-th identical (rule, file, attrPath, text) tuple gets
 * occurrence index n, so the order decides which duplicate is which.
 */
export function fingerprintFindings(raw: readonly FingerprintInput[]): string[] {
  const seen = new Map<string, number>();
  return raw.map((item) => {
    const tuple = [item.ruleId, item.file, item.attrPath ?? "", sha256Hex(normalizeWhitespace(item.matchedText))].join(SEP);
    const occurrence = seen.get(tuple) ?? 0;
    seen.set(tuple, occurrence + 1);
    return sha256Hex(`${tuple}${SEP}${occurrence}`).slice(0, FINGERPRINT_LENGTH);
  });
}
