/**
 * Profile generations as `nix-env` prints them (pure parsers).
 * `--list-generations` prints `"%4u   %s   %s\n"`: number, local time
 * `YYYY-MM-DD HH:MM:SS`, and `(current)` or nothing (with the spaces kept).
 */

export interface Generation {
  number: number;
  /** As printed: local time of the generation link, `YYYY-MM-DD HH:MM:SS`. */
  date: string;
  /** `date` read as local time. */
  createdAt: Date;
  current: boolean;
  /** Store path the generation points to, when its link could be read. */
  storePath?: string;
}

/** What `deleteGenerations` accepts: numbers, `old`, `+N` (keep the newest N), `Nd` (older than N days). */
export type GenerationSpec = readonly number[] | "old" | `+${number}` | `${number}d`;

const GENERATION_RE = /^ *(\d+) +(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)( +\(current\))?$/;

export class GenerationFormatError extends Error {
  override readonly name = "GenerationFormatError";
}

export function parseGenerations(stdout: string): Generation[] {
  const out: Generation[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const m = GENERATION_RE.exec(line.trimEnd());
    if (!m) throw new GenerationFormatError(`unexpected line from nix-env --list-generations: ${JSON.stringify(line)}`);
    const [y, mo, d, h, mi, s] = m.slice(2, 8).map(Number) as [number, number, number, number, number, number];
    out.push({
      number: Number(m[1]),
      date: `${m[2]}-${m[3]}-${m[4]} ${m[5]}:${m[6]}:${m[7]}`,
      createdAt: new Date(y, mo - 1, d, h, mi, s),
      current: m[8] !== undefined,
    });
  }
  return out;
}

/** `switching profile from version 3 to 2` → { from: 3, to: 2 }. */
export function parseSwitch(stderr: string): { from: number; to: number } | null {
  const m = /switching profile from version (\d+) to (\d+)/.exec(stderr);
  return m ? { from: Number(m[1]), to: Number(m[2]) } : null;
}

/** Generation numbers from `removing profile version N` lines (ascending). */
export function parseRemoved(stderr: string): number[] {
  return [...stderr.matchAll(/^removing profile version (\d+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** `system-3-link` (the target of the profile symlink) → 3. */
export function generationOfLink(profileName: string, linkTarget: string): number | null {
  const base = linkTarget.slice(linkTarget.lastIndexOf("/") + 1);
  if (!base.startsWith(`${profileName}-`) || !base.endsWith("-link")) return null;
  const n = Number(base.slice(profileName.length + 1, -"-link".length));
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function generationSpecArgs(spec: GenerationSpec): string[] {
  if (typeof spec !== "string") {
    if (spec.length === 0) throw new RangeError("deleteGenerations needs at least one generation number");
    return spec.map((n) => {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`generation numbers are positive integers, got ${n}`);
      return String(n);
    });
  }
  if (spec === "old" || /^\+\d+$/.test(spec) || /^\d+d$/.test(spec)) return [spec];
  throw new RangeError(`generation spec must be numbers, 'old', '+N' or 'Nd', got '${spec}'`);
}
