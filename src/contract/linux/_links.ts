/** `ip -details -json link show` → name → { kind, up }. Pure. */

export type Links = Record<string, { kind: string; up: boolean }>;

/** Throws a plain Error saying what is wrong with the text; the caller names the command. */
export function parseLinksJson(text: string): Links {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error("expected a JSON array of links");
  const links: Links = {};
  for (const entry of data as unknown[]) {
    if (typeof entry !== "object" || entry === null) throw new Error("a link entry is not an object");
    const e = entry as { ifname?: unknown; flags?: unknown; linkinfo?: { info_kind?: unknown } };
    if (typeof e.ifname !== "string") throw new Error("a link entry has no ifname");
    const flags = Array.isArray(e.flags) ? e.flags : [];
    const kind = typeof e.linkinfo?.info_kind === "string" ? e.linkinfo.info_kind : "";
    links[e.ifname] = { kind, up: flags.includes("UP") };
  }
  return links;
}
