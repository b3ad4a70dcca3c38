/**
 * Credentials written as `key = value` lines inside string content: env files
 * (`API_TOKEN=…`), INI/TOML (`password = …`), YAML (`password: …`) and shell
 * (`export DB_PASSWORD=…`) embedded in Nix strings. A linear scan, line by line.
 */
import { isSecretLikeName, looksLikeLiteralSecret } from "../secrets/context.js";

export interface EmbeddedCredential {
  key: string;
  /** Offsets of the value within the scanned text. */
  start: number;
  end: number;
}

const MAX_LINE = 4096;

const isKeyChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46;

export function findEmbeddedCredentials(text: string): EmbeddedCredential[] {
  const out: EmbeddedCredential[] = [];
  // Cheap prefilter: most strings name no credential at all.
  if (!/pass|secret|token|key|cred|auth|psk/i.test(text)) return out;
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    if (lineEnd - lineStart <= MAX_LINE) scanLine(text, lineStart, lineEnd, out);
    lineStart = lineEnd + 1;
  }
  return out;
}

function scanLine(text: string, start: number, end: number, out: EmbeddedCredential[]): void {
  let p = start;
  while (p < end && (text[p] === " " || text[p] === "\t")) p++;
  if (text.startsWith("export ", p)) p += 7;
  const keyStart = p;
  while (p < end && isKeyChar(text.charCodeAt(p))) p++;
  if (p === keyStart) return;
  const key = text.slice(keyStart, p);
  while (p < end && (text[p] === " " || text[p] === "\t")) p++;
  const sep = text[p];
  if (sep !== "=" && sep !== ":") return;
  p++;
  while (p < end && (text[p] === " " || text[p] === "\t")) p++;
  let vEnd = end;
  while (vEnd > p && (text[vEnd - 1] === " " || text[vEnd - 1] === "\t" || text[vEnd - 1] === "\r" || text[vEnd - 1] === ";" || text[vEnd - 1] === ",")) vEnd--;
  let vStart = p;
  const q = text[vStart];
  if ((q === "\"" || q === "'") && vEnd - vStart >= 2 && text[vEnd - 1] === q) {
    vStart++;
    vEnd--;
  }
  if (vEnd <= vStart) return;
  const value = text.slice(vStart, vEnd);
  const first = value[0];
  // Templates and references are not literal values.
  if (first === "$" || first === "%" || first === "<" || first === "@" || value.startsWith("{{")) return;
  if (!isSecretLikeName(key) || !looksLikeLiteralSecret(value)) return;
  out.push({ key, start: vStart, end: vEnd });
}
