/** /proc/cpuinfo as the contract sees it: vendor, model, flags of the first processor, and the count. Pure. */

export interface CpuSummary {
  vendor: string;
  model: string;
  count: number;
  flags: string[];
}

/** `key : value` blocks separated by blank lines, one per processor (x86); aarch64 adds a trailing global block. */
function _blocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let current = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (line.trim() === "" || colon < 0) {
      if (line.trim() === "" && current.size > 0) { blocks.push(current); current = new Map(); }
      continue;
    }
    current.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  if (current.size > 0) blocks.push(current);
  return blocks;
}

/** The summary, or a sentence saying what is missing (the caller adds the path). */
export function summarizeCpuinfo(text: string): CpuSummary | string {
  const processors = _blocks(text).filter((b) => b.has("processor"));
  const first = processors[0];
  if (first === undefined) return "no processor entries";
  const x86Vendor = first.get("vendor_id");
  if (x86Vendor !== undefined) {
    const flags = first.get("flags");
    if (flags === undefined) return "the first processor has vendor_id but no flags line (truncated?)";
    return { vendor: x86Vendor, model: first.get("model name") ?? "", count: processors.length, flags: _words(flags) };
  }
  const implementer = first.get("CPU implementer");
  if (implementer !== undefined) {
    const part = first.get("CPU part");
    return {
      vendor: implementer,
      model: first.get("model name") ?? (part === undefined ? "" : `part ${part}`),
      count: processors.length,
      flags: _words(first.get("Features") ?? ""),
    };
  }
  return "the first processor has neither vendor_id (x86) nor CPU implementer (aarch64)";
}

function _words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== "");
}
