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
const SPACED_KEYS = new Set(["password", "passwd", "passphrase"]);

const isKeyChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46;

/** SQL `… PASSWORD 'x'` (CREATE/ALTER ROLE, IDENTIFIED BY 'x'). Bounded classes keep it linear. */
const SQL_PASSWORD = /\b(?:PASSWORD|IDENTIFIED BY)[ \t]{1,20}'([^'\n]{1,200})'/gi;

export function findEmbeddedCredentials(text: string): EmbeddedCredential[] {
  const out: EmbeddedCredential[] = [];
  // Cheap prefilter: most strings name no credential at all.
  if (!/pass|secret|token|key|cred|auth|psk|identified/i.test(text)) return out;
  for (const m of text.matchAll(SQL_PASSWORD)) {
    const value = m[1]!;
    if (value.startsWith("$") || !looksLikeLiteralSecret(value)) continue;
    const start = m.index + m[0].length - value.length - 1;
    out.push({ key: "PASSWORD", start, end: start + value.length });
  }
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    if (lineEnd - lineStart <= MAX_LINE) scanLine(text, lineStart, lineEnd, out);
    lineStart = lineEnd + 1;
  }
  return out;
}

/**
 * `RCLONE_CONFIG_B2_KEY=K005…`: environment variables ending in _KEY name a
 * credential when their value looks random (long, mixed letters and digits).
 */
function isHighEntropyEnvKey(key: string, value: string): boolean {
  return /^[A-Z][A-Z0-9_]{0,100}_(?:KEY|SECRET|PSK)$/.test(key) && value.length >= 16 && /[0-9]/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value);
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
  // msmtp/netrc style: `password <value>` with a space, for the unambiguous key words only.
  const spaced = sep !== "=" && sep !== ":" && p > keyStart + key.length && SPACED_KEYS.has(key.toLowerCase());
  if (sep !== "=" && sep !== ":" && !spaced) return;
  if (!spaced) p++;
  while (p < end && (text[p] === " " || text[p] === "\t")) p++;
  let vEnd = end;
  // Trailing blanks, separators and shell line continuations are not part of the value.
  while (vEnd > p && " \t\r;,\\".includes(text[vEnd - 1]!)) vEnd--;
  let vStart = p;
  const q = text[vStart];
  if ((q === "\"" || q === "'") && vEnd - vStart >= 2 && text[vEnd - 1] === q) {
    vStart++;
    vEnd--;
  }
  if (vEnd <= vStart) return;
  const value = text.slice(vStart, vEnd);
  const first = value[0] === "\"" || value[0] === "'" ? value[1] : value[0];
  // Templates and references are not literal values.
  if (first === "$" || first === "%" || first === "<" || first === "@" || value.startsWith("{{")) return;
  if (!(isSecretLikeName(key) || isHighEntropyEnvKey(key, value)) || !looksLikeLiteralSecret(value)) return;
  out.push({ key, start: vStart, end: vEnd });
}
