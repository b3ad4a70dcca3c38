/**
 * The window grid scan-closure reads files on, and the pure rules that make a
 * secret across a window boundary count exactly once. Private to src/cache.
 *
 * Window k owns the file offsets [k·W, (k+1)·W) and reads LEAD bytes before
 * and TAIL bytes after them. A match belongs to the window that owns its start.
 * The lead gives label detectors their context (a URL password is reported
 * from its `:`, but the regex starts up to ~300 characters earlier at the
 * scheme); the tail lets a match that starts near the end finish inside the
 * window. TAIL exceeds the longest bounded detector match (a JWT: ~21.5 KiB)
 * rather than being "a few KiB", so long tokens are never cut; re-reading
 * 32 KiB per 4 MiB costs under 1%.
 */
import { detectSecrets } from "../guard/secrets/patterns.js";
import { maskSecret } from "../guard/secrets/context.js";

export const WINDOW_BYTES = 4 << 20;
export const LEAD_BYTES = 1 << 10;
export const TAIL_BYTES = 31 << 10;

/** A finding at a byte offset of one file (or symlink target); `end` is kept for the overlap rule only. */
export interface RawFinding {
  ruleId: string;
  offset: number;
  end: number;
  masked: string;
}

/**
 * Findings in `text` (file bytes decoded as latin1, one char per byte, so
 * offsets are byte offsets) that start in [ownedFrom, ownedTo). `textOffset` is
 * the file offset of text[0].
 */
export function windowFindings(text: string, textOffset: number, ownedFrom: number, ownedTo: number): RawFinding[] {
  const out: RawFinding[] = [];
  for (const m of detectSecrets(text)) {
    const offset = textOffset + m.start;
    if (offset < ownedFrom || offset >= ownedTo) continue;
    out.push({ ruleId: m.ruleId, offset, end: textOffset + m.end, masked: maskSecret(text.slice(m.start, m.end)) });
  }
  return out;
}

/**
 * Across windows, the rule detectSecrets applies inside one text: sorted by
 * offset, a finding that starts inside the previous kept one is dropped. Only
 * matters for overlapping matches of different detectors near a boundary.
 */
export function dropOverlaps(findings: readonly RawFinding[]): RawFinding[] {
  const sorted = [...findings].sort((a, b) => a.offset - b.offset || b.end - a.end);
  const kept: RawFinding[] = [];
  for (const f of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || f.offset >= last.end) kept.push(f);
  }
  return kept;
}

/** The file range window `k` reads: [from, to). */
export function windowRange(k: number): { from: number; to: number; ownedFrom: number; ownedTo: number } {
  const ownedFrom = k * WINDOW_BYTES;
  const ownedTo = ownedFrom + WINDOW_BYTES;
  return { from: Math.max(0, ownedFrom - LEAD_BYTES), to: ownedTo + TAIL_BYTES, ownedFrom, ownedTo };
}
