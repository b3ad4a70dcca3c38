/** Where cgroup2 is mounted (from mountinfo) and where systemd puts a slice. Pure. */

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function _unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * The mount point of the cgroup2 hierarchy in a /proc/self/mountinfo text, or
 * null. Lines look like `36 25 0:31 / /sys/fs/cgroup/unified rw,… shared:9 - cgroup2 cgroup2 rw`:
 * optional fields end at " - ", after which comes the fstype. When several are
 * mounted, the one under /sys/fs/cgroup is the one systemd uses.
 * Throws (a plain Error with the line) when a line is not mountinfo.
 */
export function cgroup2MountPoint(mountinfo: string): string | null {
  const found: string[] = [];
  for (const [i, line] of mountinfo.split("\n").entries()) {
    if (line.trim() === "") continue;
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6 || fields[dash + 1] === undefined) throw new Error(`line ${i + 1} is not a mountinfo line: ${JSON.stringify(line.slice(0, 80))}`);
    if (fields[dash + 1] === "cgroup2") found.push(_unescape(fields[4]!));
  }
  return found.find((m) => m === "/sys/fs/cgroup" || m.startsWith("/sys/fs/cgroup/")) ?? found[0] ?? null;
}

/**
 * systemd's dash rule: `a-b-c.slice` lives at `a.slice/a-b.slice/a-b-c.slice`,
 * and `-.slice` is the root. Returns the relative directory, or a sentence saying why the name is not a slice.
 */
export function slicePath(slice: string): { path: string } | { error: string } {
  if (slice === "-.slice") return { path: "" };
  if (!slice.endsWith(".slice") || slice.includes("/")) return { error: `${JSON.stringify(slice)} is not a slice name (NAME.slice, no slashes)` };
  const stem = slice.slice(0, -".slice".length);
  const parts = stem.split("-");
  if (parts.some((p) => p === "")) return { error: `${JSON.stringify(slice)} is not a valid slice name (empty part between dashes)` };
  return { path: parts.map((_, i) => `${parts.slice(0, i + 1).join("-")}.slice`).join("/") };
}
