/**
 * Narinfo files (`<hash>.narinfo` in a binary cache): a strict parser that
 * accepts what Nix 2.8 accepts (and refuses more: duplicates, CRLF, blank
 * lines) and a writer that reproduces Nix's output byte for byte.
 */
import { renderNix32, parseHash } from "./_hash.js";
import { parseContentAddress, renderContentAddress } from "./_content-address.js";
import { STORE_DIR, baseNameProblem, storePathProblem } from "./_store-path.js";

export interface NarinfoField {
  key: string;
  value: string;
}

export interface Narinfo {
  /** Full store path, e.g. /nix/store/<hash>-top. */
  storePath: string;
  url: string;
  /** Absent in the file means bzip2 to Nix (and to writeNarinfo). */
  compression?: string;
  /** As written in the file (any form Nix accepts); the writer re-renders it as nix32. */
  fileHash?: string;
  fileSize?: number;
  /** As written in the file (nix32, base16, base64 or SRI). */
  narHash: string;
  narSize: number;
  /** Base names (`<hash>-<name>`) in file order; see referencePaths for full paths. */
  references: string[];
  /** Base name of the .drv; absent for `unknown-deriver` and content-addressed paths. */
  deriver?: string;
  system?: string;
  /** Raw `Sig:` values in file order; malformed ones are judged by verifyNarinfo. */
  sigs: string[];
  /** Content address, e.g. fixed:r:sha256:<nix32>. */
  ca?: string;
  /** Lines with keys Nix does not know, kept in order. */
  extra: NarinfoField[];
}

export interface ParseNarinfoOptions {
  /** Logical store directory (default /nix/store). */
  storeDir?: string;
}

/** A narinfo that Nix would refuse (or that is ambiguous); names the source and the line. */
export class NarinfoError extends Error {
  override readonly name = "NarinfoError";
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${source}:${line}: ${reason}`, options);
  }
}

const KEY = /^[A-Za-z][A-Za-z0-9-]*$/;
const SINGLE = new Set(["StorePath", "URL", "Compression", "FileHash", "FileSize", "NarHash", "NarSize", "References", "Deriver", "System", "CA"]);

function show(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

function parseCount(value: string): number | null {
  if (!/^[0-9]{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** Parse narinfo text; `source` (URL or file) appears in every error. */
export function parseNarinfo(text: string, source: string, options: ParseNarinfoOptions = {}): Narinfo {
  const storeDir = options.storeDir ?? STORE_DIR;
  const lines = text.split("\n");
  if (text === "") throw new NarinfoError(source, 1, "empty narinfo");
  if (lines.at(-1) !== "") throw new NarinfoError(source, lines.length, "last line does not end with a newline (Nix refuses this narinfo)");
  lines.pop();

  const seen = new Map<string, number>();
  const partial: Partial<Narinfo> & { sigs: string[]; extra: NarinfoField[] } = { sigs: [], extra: [] };
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const fail = (reason: string): never => {
      throw new NarinfoError(source, lineNo, reason);
    };
    if (line.includes("\r")) fail("carriage return in line (CRLF line endings are not valid narinfo)");
    const colon = line.indexOf(":");
    if (colon < 0) fail(line === "" ? "blank line" : `expected 'Key: value', got ${show(line)}`);
    const key = line.slice(0, colon);
    if (!KEY.test(key)) fail(`invalid key ${show(key)}`);
    if (line[colon + 1] !== " ") fail(`expected ': ' after key ${key}`);
    const value = line.slice(colon + 2);
    if (SINGLE.has(key)) {
      const first = seen.get(key);
      if (first !== undefined) fail(`duplicate ${key} (first on line ${first})`);
      seen.set(key, lineNo);
    }
    const hash = (): string => {
      const parsed = parseHash(value);
      return typeof parsed === "string" ? fail(`${key} ${show(value)}: ${parsed}`) : value;
    };
    const count = (min: number): number => {
      const n = parseCount(value);
      return n === null || n < min ? fail(`${key} must be an integer${min > 0 ? ` ≥ ${min}` : ""}, got ${show(value)}`) : n;
    };
    switch (key) {
      case "StorePath": {
        const problem = storePathProblem(value, storeDir);
        if (problem !== null) fail(`StorePath: ${problem}`);
        partial.storePath = value;
        break;
      }
      case "URL":
        if (value === "") fail("URL is empty");
        partial.url = value;
        break;
      case "Compression":
        partial.compression = value;
        break;
      case "FileHash":
        partial.fileHash = hash();
        break;
      case "FileSize":
        partial.fileSize = count(0);
        break;
      case "NarHash":
        partial.narHash = hash();
        break;
      case "NarSize":
        partial.narSize = count(1);
        break;
      case "References": {
        const refs = value.split(" ").filter((r) => r !== "");
        for (const ref of refs) {
          const problem = baseNameProblem(ref);
          if (problem !== null) fail(`References: ${problem} (references are base names, space-separated)`);
        }
        partial.references = refs;
        break;
      }
      case "Deriver":
        if (value !== "unknown-deriver") {
          const problem = baseNameProblem(value);
          if (problem !== null) fail(`Deriver: ${problem}`);
          partial.deriver = value;
        }
        break;
      case "System":
        partial.system = value;
        break;
      case "Sig":
        partial.sigs.push(value);
        break;
      case "CA":
        if (value !== "") {
          const ca = parseContentAddress(value);
          if (typeof ca === "string") fail(`CA ${show(value)}: ${ca}`);
          partial.ca = value;
        }
        break;
      default:
        partial.extra.push({ key, value });
    }
  });

  const { storePath, url, narHash, narSize } = partial;
  const end = Math.max(lines.length, 1);
  const missing = (key: string): never => {
    throw new NarinfoError(source, end, `narinfo has no ${key} line (Nix treats it as corrupt)`);
  };
  return {
    ...partial,
    storePath: storePath ?? missing("StorePath"),
    url: url ?? missing("URL"),
    narHash: narHash ?? missing("NarHash"),
    narSize: narSize ?? missing("NarSize"),
    references: partial.references ?? [],
  };
}

/** Full store paths of the references (sorted, as Nix keeps them). */
export function referencePaths(narinfo: Pick<Narinfo, "references">, storeDir: string = STORE_DIR): string[] {
  return [...new Set(narinfo.references)].sort().map((ref) => `${storeDir}/${ref}`);
}

/** The cache file name for a store path: `<hash part>.narinfo`. */
export function narinfoFileName(storePath: string): string {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return `${base.slice(0, 32)}.narinfo`;
}

function nix32Of(key: string, value: string): string {
  const parsed = parseHash(value);
  if (typeof parsed === "string") throw new TypeError(`cannot write narinfo: ${key} ${show(value)}: ${parsed}`);
  return renderNix32(parsed);
}

/**
 * Render as Nix 2.8 writes it (`NarInfo::to_string`): fixed line order,
 * hashes in nix32, references and signatures sorted and deduplicated,
 * `References: ` kept even when empty. Unknown keys (which Nix drops) go last.
 */
export function writeNarinfo(narinfo: Narinfo): string {
  const out: string[] = [`StorePath: ${narinfo.storePath}`, `URL: ${narinfo.url}`, `Compression: ${narinfo.compression || "bzip2"}`];
  if (narinfo.fileHash !== undefined) out.push(`FileHash: ${nix32Of("FileHash", narinfo.fileHash)}`);
  if (narinfo.fileSize !== undefined) out.push(`FileSize: ${narinfo.fileSize}`);
  out.push(`NarHash: ${nix32Of("NarHash", narinfo.narHash)}`, `NarSize: ${narinfo.narSize}`);
  out.push(`References: ${[...new Set(narinfo.references)].sort().join(" ")}`);
  if (narinfo.deriver !== undefined) out.push(`Deriver: ${narinfo.deriver}`);
  if (narinfo.system !== undefined && narinfo.system !== "") out.push(`System: ${narinfo.system}`);
  for (const sig of [...new Set(narinfo.sigs)].sort()) out.push(`Sig: ${sig}`);
  if (narinfo.ca !== undefined) {
    const ca = parseContentAddress(narinfo.ca);
    if (typeof ca === "string") throw new TypeError(`cannot write narinfo: CA ${show(narinfo.ca)}: ${ca}`);
    out.push(`CA: ${renderContentAddress(ca)}`);
  }
  for (const { key, value } of narinfo.extra) out.push(`${key}: ${value}`);
  return `${out.join("\n")}\n`;
}
