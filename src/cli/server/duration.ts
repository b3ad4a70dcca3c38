/** Durations on the command line: `90s`, `15m`, `1h`, `30d`, `2w` (or plain seconds). */
import { UsageError } from "../errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in `text`; a UsageError naming `flag` when it is not a duration. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a duration such as 90s, 15m, 1h, 30d or 2w`);
  return Number(m[1]) * UNIT_SECONDS[m[2] || "s"]!;
}
