/**
 * Nix lexer: turns source text into tokens with exact offsets.
 *
 * It follows the state machine of Nix's own flex lexer (DEFAULT, STRING,
 * IND_STRING, INPATH, INPATH_SLASH) and its longest-match rule between
 * identifiers, paths, URIs and numbers, so `a/b` is a path and `http://x` a URI
 * exactly as Nix reads them. Linear time: every loop advances the cursor.
 */
import { NixSyntaxError } from "./syntax-error.js";

export type TokenType =
  | "id" | "int" | "float" | "path" | "hpath" | "spath" | "uri"
  | "if" | "then" | "else" | "assert" | "with" | "let" | "in" | "rec" | "inherit" | "or"
  | "ellipsis" | "==" | "!=" | "<=" | ">=" | "&&" | "||" | "->" | "//" | "++" | "|>" | "<|"
  | "${" | "str" | "ind_str" | "\"" | "''open" | "''close" | "path_end"
  | "{" | "}" | "(" | ")" | "[" | "]" | ";" | ":" | "." | "," | "@" | "=" | "?" | "!"
  | "+" | "-" | "*" | "/" | "<" | ">"
  | "eof";

/**
 * The tokens of a file as parallel arrays (type, start, end) rather than one
 * object per token: a 50 MB tree has millions of tokens, and objects for them
 * were the largest source of garbage-collection work.
 */
export interface TokenStream {
  types: TokenType[];
  starts: Int32Array;
  ends: Int32Array;
  count: number;
}

const KEYWORDS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ["if", "if"], ["then", "then"], ["else", "else"], ["assert", "assert"], ["with", "with"],
  ["let", "let"], ["in", "in"], ["rec", "rec"], ["inherit", "inherit"], ["or", "or"],
]);

const enum Mode { Default, String, IndString, InPath, InPathSlash }

// Character classes as lookup tables: faster than regexes and immune to backtracking.
const ID_START = new Uint8Array(128);
const ID_CHAR = new Uint8Array(128);
const PATH_CHAR = new Uint8Array(128);
const URI_SCHEME = new Uint8Array(128);
const URI_CHAR = new Uint8Array(128);
(function fillTables(): void {
  const set = (table: Uint8Array, chars: string): void => {
    for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  };
  const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const digits = "0123456789";
  set(ID_START, alpha + "_");
  set(ID_CHAR, alpha + digits + "_'-");
  set(PATH_CHAR, alpha + digits + "._-+");
  set(URI_SCHEME, alpha + digits + "+-.");
  set(URI_CHAR, alpha + digits + "%/?:@&=+$,-_.!~*'");
})();

const inTable = (table: Uint8Array, c: number): boolean => c < 128 && table[c] === 1;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

const SLASH = 47, DOLLAR = 36, LBRACE = 123, DOT = 46, TILDE = 126;

/**
 * Characters that can only begin punctuation: the single-character token first
 * (or "" when the character alone is not a token), then the two-character tokens
 * it can begin. `''` is listed as a two-character token and renamed on the spot.
 */
const FAST_PUNCT: (string[] | undefined)[] = [];
for (const [ch, ...rest] of [
  ["{"], ["}"], ["("], [")"], ["["], ["]"], [";"], [","], ["@"], ["?"], [":"], ["*"], ["\""],
  ["=", "=="], ["!", "!="], [">", ">="], ["", "&&"], ["", "||", "|>"], ["", "${"], ["", "''"],
] as string[][]) {
  const key = (ch || rest[0]!).charCodeAt(0);
  FAST_PUNCT[key] = [ch!, ...rest];
}

/** A `#` line comment or a block comment: its span. */
export interface Comment {
  start: number;
  end: number;
}

/** Tokenize a whole file. Throws NixSyntaxError at the first lexical error. Comments go to `comments` when given. */
export function tokenize(src: string, comments?: Comment[]): TokenStream {
  const types: TokenType[] = [];
  let starts = new Int32Array(64 + (src.length >> 2));
  let ends = new Int32Array(starts.length);
  const modes: Mode[] = [Mode.Default];
  const n = src.length;
  let pos = 0;
  const push = (type: TokenType, start: number, end: number): void => {
    const i = types.length;
    if (i === starts.length) {
      const grownStarts = new Int32Array(i * 2);
      grownStarts.set(starts);
      starts = grownStarts;
      const grownEnds = new Int32Array(i * 2);
      grownEnds.set(ends);
      ends = grownEnds;
    }
    types.push(type);
    starts[i] = start;
    ends[i] = end;
  };
  const mode = (): Mode => modes[modes.length - 1] ?? Mode.Default;

  while (true) {
    const m = mode();
    if (m === Mode.String) { pos = lexString(src, pos, push, modes); continue; }
    if (m === Mode.IndString) { pos = lexIndString(src, pos, push, modes); continue; }
    if (m === Mode.InPath || m === Mode.InPathSlash) { pos = lexInPath(src, pos, push, modes, m); continue; }

    pos = skipTrivia(src, pos, comments);
    if (pos >= n) break;
    const start = pos;
    const c = src.charCodeAt(pos);

    // Fast paths (most tokens): punctuation that can begin nothing longer, and plain identifiers.
    const punct = FAST_PUNCT[c];
    if (c < 128 && punct !== undefined) {
      const two = punct.length > 1 ? punct.find((t) => t.length === 2 && src.charCodeAt(pos + 1) === t.charCodeAt(1)) : undefined;
      if (two !== undefined) {
        push(two as TokenType, start, start + 2);
        if (two === "${") modes.push(Mode.Default);
        else if (two === "''") { types[types.length - 1] = "''open"; modes.push(Mode.IndString); }
        pos += 2;
        continue;
      }
      const one = punct[0]!;
      if (one.length === 1) {
        push(one as TokenType, start, start + 1);
        if (c === 123 /* { */) modes.push(Mode.Default);
        else if (c === 125 /* } */) { modes.pop(); if (modes.length === 0) modes.push(Mode.Default); }
        else if (c === 34 /* " */) modes.push(Mode.String);
        pos++;
        continue;
      }
    }
    if (inTable(ID_START, c)) {
      const end = scanWhile(src, pos + 1, ID_CHAR);
      const next = src.charCodeAt(end);
      // Only `:` (URI), `/` (path), `.` or `+` (path or URI scheme) can make a longer token.
      if (next !== 58 && next !== SLASH && next !== DOT && next !== 43) {
        push(KEYWORDS.get(src.slice(start, end)) ?? "id", start, end);
        pos = end;
        continue;
      }
    }

    // Interpolated path start: `./a/${x}` or `~/${x}` (PATH_SEG or HPATH_START followed by `${`).
    const seg = scanPathSegmentBeforeInterpolation(src, pos);
    if (seg > start) {
      push(c === TILDE ? "hpath" : "path", start, seg);
      modes.push(Mode.InPathSlash);
      pos = seg;
      continue;
    }
    // (When it matches it is the longest candidate: nothing else can cross the `/${`.)

    // Identifiers, keywords, URIs and paths compete on longest match, as in flex.
    const idEnd = inTable(ID_START, c) ? scanWhile(src, pos + 1, ID_CHAR) : start;
    const uriEnd = isAlpha(c) ? scanUri(src, pos) : start;
    const pathEnd = scanPath(src, pos);
    const numEnd = scanNumber(src, pos);
    const best = Math.max(idEnd, uriEnd, pathEnd.end, numEnd.end);
    if (best > start) {
      if (pathEnd.end === best && pathEnd.end > Math.max(idEnd, uriEnd, numEnd.end)) {
        pos = startPath(src, start, pathEnd, push, modes);
        continue;
      }
      if (uriEnd === best && uriEnd > idEnd) { push("uri", start, best); pos = best; continue; }
      if (idEnd === best && idEnd >= numEnd.end) {
        push(KEYWORDS.get(src.slice(start, best)) ?? "id", start, best);
        pos = best;
        continue;
      }
      if (numEnd.end === best) { push(numEnd.float ? "float" : "int", start, best); pos = best; continue; }
      // A path that ties with nothing longer is handled above; remaining ties resolve to the path.
      pos = startPath(src, start, pathEnd, push, modes);
      continue;
    }

    const c1 = pos + 1 < n ? src.charCodeAt(pos + 1) : -1;
    const two = String.fromCharCode(c) + (c1 >= 0 ? String.fromCharCode(c1) : "");
    switch (two) {
      case "==": case "!=": case "<=": case ">=": case "&&": case "||": case "->": case "//": case "++":
      case "|>": case "<|":
        push(two, start, start + 2); pos += 2; continue;
      case "${":
        push("${", start, start + 2); modes.push(Mode.Default); pos += 2; continue;
      case "''":
        push("''open", start, start + 2); modes.push(Mode.IndString); pos += 2; continue;
    }
    if (c === 60 /* < */) {
      const sEnd = scanSearchPath(src, pos);
      if (sEnd > start) { push("spath", start, sEnd); pos = sEnd; continue; }
    }
    if (c === DOT && src.startsWith("...", pos)) { push("ellipsis", start, start + 3); pos += 3; continue; }
    const ch = src[pos] ?? "";
    switch (ch) {
      case "{": push("{", start, start + 1); modes.push(Mode.Default); pos++; continue;
      case "}":
        push("}", start, start + 1);
        modes.pop();
        if (modes.length === 0) modes.push(Mode.Default); // unbalanced `}`: the parser reports it
        pos++;
        continue;
      case "\"": push("\"", start, start + 1); modes.push(Mode.String); pos++; continue;
      case "(": case ")": case "[": case "]": case ";": case ":": case ".": case ",": case "@": case "=":
      case "?": case "!": case "+": case "-": case "*": case "/": case "<": case ">":
        push(ch, start, start + 1); pos++; continue;
    }
    throw new NixSyntaxError(`unexpected character ${JSON.stringify(ch)}`, start);
  }
  if (modes.length > 1 && (mode() === Mode.String || mode() === Mode.IndString)) {
    throw new NixSyntaxError("unterminated string", n);
  }
  push("eof", n, n);
  return { types, starts, ends, count: types.length };
}

function skipTrivia(src: string, pos: number, comments: Comment[] | undefined): number {
  const n = src.length;
  while (pos < n) {
    const c = src.charCodeAt(pos);
    if (c === 32 || c === 9 || c === 10 || c === 13) { pos++; continue; }
    if (c === 35 /* # */) {
      const nl = src.indexOf("\n", pos);
      comments?.push({ start: pos, end: nl < 0 ? n : nl });
      pos = nl < 0 ? n : nl + 1;
      continue;
    }
    if (c === SLASH && src.charCodeAt(pos + 1) === 42 /* * */) {
      const close = src.indexOf("*/", pos + 2);
      if (close < 0) throw new NixSyntaxError("unterminated comment", pos);
      comments?.push({ start: pos, end: close + 2 });
      pos = close + 2;
      continue;
    }
    break;
  }
  return pos;
}

function scanWhile(src: string, pos: number, table: Uint8Array): number {
  const n = src.length;
  while (pos < n && inTable(table, src.charCodeAt(pos))) pos++;
  return pos;
}

/** URI = [a-zA-Z][a-zA-Z0-9+\-.]*:[URI_CHAR]+ */
function scanUri(src: string, pos: number): number {
  const schemeEnd = scanWhile(src, pos + 1, URI_SCHEME);
  if (src.charCodeAt(schemeEnd) !== 58 /* : */) return pos;
  const end = scanWhile(src, schemeEnd + 1, URI_CHAR);
  return end > schemeEnd + 1 ? end : pos;
}

/**
 * PATH  = PATH_CHAR* ( '/' PATH_CHAR+ )+ '/'?
 * HPATH = '~' ( '/' PATH_CHAR+ )+ '/'?
 * Returns the end of the longest match (or pos when none) and whether it is a home path.
 */
function scanPath(src: string, pos: number): { end: number; home: boolean } {
  let p = pos;
  const home = src.charCodeAt(p) === TILDE;
  p = home ? p + 1 : scanWhile(src, p, PATH_CHAR);
  let segments = 0;
  let end = pos;
  while (src.charCodeAt(p) === SLASH) {
    const segEnd = scanWhile(src, p + 1, PATH_CHAR);
    if (segEnd === p + 1) {
      // A trailing slash belongs to the token (Nix then rejects it unless `${` follows).
      if (segments > 0) end = p + 1;
      break;
    }
    segments++;
    p = segEnd;
    end = p;
  }
  return segments > 0 ? { end, home } : { end: pos, home };
}

/** PATH_SEG `${` (`./a/${`) or HPATH_START `${` (`~/${`): the segment end, or pos. */
function scanPathSegmentBeforeInterpolation(src: string, pos: number): number {
  let p: number;
  if (src.charCodeAt(pos) === TILDE) {
    if (src.charCodeAt(pos + 1) !== SLASH) return pos;
    p = pos + 2;
  } else {
    p = scanWhile(src, pos, PATH_CHAR);
    if (src.charCodeAt(p) !== SLASH) return pos;
    p++;
  }
  return src.charCodeAt(p) === DOLLAR && src.charCodeAt(p + 1) === LBRACE ? p : pos;
}

/** SPATH = '<' PATH_CHAR+ ( '/' PATH_CHAR+ )* '>' */
function scanSearchPath(src: string, pos: number): number {
  let p = scanWhile(src, pos + 1, PATH_CHAR);
  if (p === pos + 1) return pos;
  while (src.charCodeAt(p) === SLASH) {
    const segEnd = scanWhile(src, p + 1, PATH_CHAR);
    if (segEnd === p + 1) return pos;
    p = segEnd;
  }
  return src.charCodeAt(p) === 62 /* > */ ? p + 1 : pos;
}

/** INT = [0-9]+ ; FLOAT = (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)? */
function scanNumber(src: string, pos: number): { end: number; float: boolean } {
  const c = src.charCodeAt(pos);
  let intEnd = pos;
  while (isDigit(src.charCodeAt(intEnd))) intEnd++;
  let floatEnd = pos;
  if (c >= 49 && c <= 57) {
    // [1-9][0-9]*\.[0-9]*
    if (src.charCodeAt(intEnd) === DOT) {
      let p = intEnd + 1;
      while (isDigit(src.charCodeAt(p))) p++;
      floatEnd = p;
    }
  } else {
    // 0?\.[0-9]+
    let p = c === 48 ? pos + 1 : pos;
    if (src.charCodeAt(p) === DOT && isDigit(src.charCodeAt(p + 1))) {
      p++;
      while (isDigit(src.charCodeAt(p))) p++;
      floatEnd = p;
    }
  }
  if (floatEnd > pos) {
    const e = src.charCodeAt(floatEnd);
    if (e === 69 || e === 101) {
      let p = floatEnd + 1;
      const sign = src.charCodeAt(p);
      if (sign === 43 || sign === 45) p++;
      if (isDigit(src.charCodeAt(p))) {
        while (isDigit(src.charCodeAt(p))) p++;
        floatEnd = p;
      }
    }
  }
  return floatEnd > intEnd ? { end: floatEnd, float: true } : { end: intEnd, float: false };
}

type Push = (type: TokenType, start: number, end: number) => void;

function startPath(src: string, start: number, path: { end: number; home: boolean }, push: Push, modes: Mode[]): number {
  push(path.home ? "hpath" : "path", start, path.end);
  modes.push(src.charCodeAt(path.end - 1) === SLASH ? Mode.InPathSlash : Mode.InPath);
  return path.end;
}

/** Inside a path after its first token: `${`, more path text, or the end of the path. */
function lexInPath(src: string, pos: number, push: Push, modes: Mode[], m: Mode): number {
  if (src.charCodeAt(pos) === DOLLAR && src.charCodeAt(pos + 1) === LBRACE) {
    modes.pop();
    modes.push(Mode.InPath, Mode.Default);
    push("${", pos, pos + 2);
    return pos + 2;
  }
  // {PATH}|{PATH_SEG}|{PATH_CHAR}+ — longest of these.
  let end = scanWhile(src, pos, PATH_CHAR);
  const path = scanPath(src, pos);
  end = Math.max(end, path.end);
  if (end === pos && src.charCodeAt(pos) === SLASH) {
    // PATH_SEG with an empty prefix: `/` alone, only as part of `/${`.
    end = pos + 1;
  } else if (end > pos && src.charCodeAt(end) === SLASH && src.charCodeAt(end + 1) === DOLLAR) {
    end++; // PATH_SEG: text followed by `/` then `${`
  }
  if (end > pos) {
    modes.pop();
    modes.push(src.charCodeAt(end - 1) === SLASH ? Mode.InPathSlash : Mode.InPath);
    push("str", pos, end);
    return end;
  }
  if (m === Mode.InPathSlash) throw new NixSyntaxError("path has a trailing slash", pos);
  modes.pop();
  push("path_end", pos, pos);
  return pos;
}

/** Inside "…": literal runs, `${`, escapes, and the closing quote. */
function lexString(src: string, pos: number, push: Push, modes: Mode[]): number {
  const n = src.length;
  const start = pos;
  while (pos < n) {
    const c = src.charCodeAt(pos);
    if (c === 34 /* " */) {
      if (pos > start) push("str", start, pos);
      push("\"", pos, pos + 1);
      modes.pop();
      return pos + 1;
    }
    if (c === 92 /* \ */) { pos += 2; continue; }
    if (c === DOLLAR) {
      const d = src.charCodeAt(pos + 1);
      if (d === LBRACE) {
        if (pos > start) push("str", start, pos);
        push("${", pos, pos + 2);
        modes.push(Mode.Default);
        return pos + 2;
      }
      // `$$` and `$x` are literal pairs (so `$${` is literal text); `$\x` escapes x.
      if (d === 34) { pos += 1; continue; }
      pos += d === 92 ? 3 : 2;
      continue;
    }
    pos++;
  }
  throw new NixSyntaxError("unterminated string", start);
}

/** Inside ''…'': literal runs, `''$`, `'''`, `''\x` escapes, `${`, and the closing `''`. */
function lexIndString(src: string, pos: number, push: Push, modes: Mode[]): number {
  const n = src.length;
  const start = pos;
  while (pos < n) {
    const c = src.charCodeAt(pos);
    if (c === 39 /* ' */ && src.charCodeAt(pos + 1) === 39) {
      const d = src.charCodeAt(pos + 2);
      if (d === 36 /* $ */ || d === 39) { pos += 3; continue; }
      if (d === 92 /* \ */) { pos += pos + 3 <= n ? 4 : 3; continue; }
      if (pos > start) push("ind_str", start, pos);
      push("''close", pos, pos + 2);
      modes.pop();
      return pos + 2;
    }
    if (c === DOLLAR) {
      const d = src.charCodeAt(pos + 1);
      if (d === LBRACE) {
        if (pos > start) push("ind_str", start, pos);
        push("${", pos, pos + 2);
        modes.push(Mode.Default);
        return pos + 2;
      }
      if (d === 39) { pos += 1; continue; }
      pos += 2; // `$$`, `$x`: literal pair, so `$${` stays literal
      continue;
    }
    pos++;
  }
  throw new NixSyntaxError("unterminated indented string", start);
}
