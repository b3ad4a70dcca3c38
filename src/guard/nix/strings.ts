/** Decoding Nix string literals: escapes, and the indentation stripping of `''…''` strings. */
import type { ExprOf, StrPart } from "./ast.js";

const ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t" };

/** The value of a string with no interpolation, or null when it has `${…}`. */
export function staticStringValue(src: string, node: ExprOf<"String">): string | null {
  if (node.parts.some((p) => p.kind === "interp")) return null;
  return node.indented ? cookIndented(src, node.parts) : node.parts.map((p) => cookPlain(src.slice(p.start, p.end))).join("");
}

/** Decode the escapes of a "…" literal run. */
export function cookPlain(raw: string): string {
  if (!raw.includes("\\")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "\\" && i + 1 < raw.length) {
      const d = raw[++i]!;
      out += ESCAPES[d] ?? d;
    } else out += c;
  }
  return out;
}

/** Decode the escapes of a ''…'' literal run (`''$`, `'''`, `''\x`). */
function cookIndRun(raw: string): string {
  if (!raw.includes("''")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    if (raw.startsWith("''", i)) {
      const d = raw[i + 2];
      if (d === "$") { out += "$"; i += 2; continue; }
      if (d === "'") { out += "''"; i += 2; continue; }
      if (d === "\\") { const e = raw[i + 3] ?? ""; out += ESCAPES[e] ?? e; i += 3; continue; }
    }
    out += raw[i]!;
  }
  return out;
}

/** Strip the common indentation of an interpolation-free indented string, as Nix does. */
function cookIndented(src: string, parts: StrPart[]): string {
  const raw = parts.map((p) => src.slice(p.start, p.end)).join("");
  const lines = raw.split("\n");
  let indent = Infinity;
  for (const line of lines) {
    const body = line.replace(/^ */, "");
    if (body.length === 0) continue;
    indent = Math.min(indent, line.length - body.length);
  }
  if (indent === Infinity) indent = 0;
  const stripped = lines.map((l) => l.slice(Math.min(indent, l.length - l.replace(/^ */, "").length)));
  if (stripped.length > 1 && (stripped[0] ?? "").trim() === "") stripped.shift();
  const last = stripped[stripped.length - 1];
  if (stripped.length > 1 && last !== undefined && last.trim() === "") stripped[stripped.length - 1] = "";
  return cookIndRun(stripped.join("\n"));
}
