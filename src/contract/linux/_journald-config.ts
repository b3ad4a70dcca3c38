/** The effective Storage= and SystemMaxUse= of `systemd-analyze cat-config systemd/journald.conf`. Pure. */

export interface JournaldSettings {
  storage: string | null;
  systemMaxUse: string | null;
}

/**
 * cat-config prints the main file then its drop-ins in the order systemd
 * reads them, so the last assignment in a [Journal] section wins. An empty
 * assignment (`SystemMaxUse=`) resets to the default, i.e. null.
 */
export function parseJournaldConfig(text: string): JournaldSettings {
  const out: JournaldSettings = { storage: null, systemMaxUse: null };
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[") && line.endsWith("]")) {
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf("=");
    if (section !== "Journal" || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === "Storage") out.storage = value === "" ? null : value;
    if (key === "SystemMaxUse") out.systemMaxUse = value === "" ? null : value;
  }
  return out;
}
