/** Reading the options a contract asks about out of a kernel .config text. Pure. */

/**
 * `CONFIG_X=y` → "y", `CONFIG_X="text"` → "text" (quotes removed),
 * `# CONFIG_X is not set` or no line at all → null.
 */
export function pickKernelConfig(text: string, keys: readonly string[]): Record<string, string | null> {
  const wanted = new Set(keys);
  const seen = new Map<string, string | null>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const notSet = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (notSet) {
      if (wanted.has(notSet[1]!)) seen.set(notSet[1]!, null);
      continue;
    }
    const eq = line.indexOf("=");
    if (line.startsWith("#") || eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!wanted.has(key)) continue;
    const value = line.slice(eq + 1);
    seen.set(key, value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  return Object.fromEntries(keys.map((k) => [k, seen.get(k) ?? null]));
}

/** A real kernel config has many CONFIG_ lines; a text with none is not one. */
export function looksLikeKernelConfig(text: string): boolean {
  return /^(?:CONFIG_\w+=|# CONFIG_\w+ is not set)/m.test(text);
}
