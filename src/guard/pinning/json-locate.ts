/**
 * A small, exact JSON (RFC 8259) parser that keeps source offsets.
 *
 * `JSON.parse` loses positions, and findings must point at the precise key or
 * value in `flake.lock`. This parser builds a tree where every value (and every
 * object key) carries its half-open `[start, end)` offsets in UTF-16 code
 * units, i.e. plain JavaScript string indices. It never throws: malformed input
 * yields `{ ok: false, offset, message }` with the offset of the first error.
 *
 * Linear time, no regular expressions; nesting is capped so hostile input
 * cannot exhaust the stack.
 */

export type JsonValue = JsonObject | JsonArray | JsonString | JsonNumber | JsonBoolean | JsonNull;

interface Span {
  start: number;
  end: number;
}

export interface JsonObject extends Span {
  kind: "object";
  /** Members in source order; duplicates are kept (lookups use the last one, like JSON.parse). */
  members: JsonMember[];
}

export interface JsonMember {
  key: string;
  /** Offsets of the key token, quotes included. */
  keyStart: number;
  keyEnd: number;
  value: JsonValue;
}

interface JsonArray extends Span {
  kind: "array";
  items: JsonValue[];
}

interface JsonString extends Span {
  kind: "string";
  value: string;
}

interface JsonNumber extends Span {
  kind: "number";
  value: number;
}

interface JsonBoolean extends Span {
  kind: "boolean";
  value: boolean;
}

interface JsonNull extends Span {
  kind: "null";
}

type JsonParseResult =
  | { ok: true; value: JsonValue }
  | { ok: false; offset: number; message: string };

/** Deeper nesting than this is reported as an error (a flake.lock is about 5 levels deep). */
export const MAX_JSON_DEPTH = 512;

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseJsonWithPositions(text: string): JsonParseResult {
  const parser = new Parser(text);
  try {
    return { ok: true, value: parser.parseDocument() };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, offset: error.offset, message: error.message };
    // Anything else (e.g. a RangeError from the engine) is still reported, never thrown.
    return { ok: false, offset: parser.pos, message: "unparseable JSON" };
  }
}

/** The value of the last member named `key` (JSON.parse semantics for duplicate keys). */
export function getMember(object: JsonObject, key: string): JsonMember | undefined {
  for (let i = object.members.length - 1; i >= 0; i--) {
    const member = object.members[i];
    if (member !== undefined && member.key === key) return member;
  }
  return undefined;
}

/** Members with duplicate keys collapsed to the last occurrence, in first-seen order. */
export function uniqueMembers(object: JsonObject): JsonMember[] {
  const last = new Map<string, JsonMember>();
  for (const member of object.members) {
    last.delete(member.key);
    last.set(member.key, member);
  }
  return [...last.values()].sort((a, b) => a.keyStart - b.keyStart);
}

function describeChar(text: string, offset: number): string {
  if (offset >= text.length) return "end of input";
  const code = text.charCodeAt(offset);
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return `"${text[offset] ?? ""}"`;
}

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    // nlohmann::json (used by Nix) skips a UTF-8 byte order mark; so do we.
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail(`unexpected ${describeChar(this.text, this.pos)} after the JSON value`);
    return value;
  }

  private fail(message: string, offset = this.pos): never {
    throw new JsonSyntaxError(offset, message);
  }

  private skipWhitespace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.parseObject(depth + 1);
      case "[":
        return this.parseArray(depth + 1);
      case '"': {
        const start = this.pos;
        const value = this.parseString();
        return { kind: "string", start, end: this.pos, value };
      }
      case "t":
        return this.parseLiteral("true", { kind: "boolean", start: this.pos, end: this.pos + 4, value: true });
      case "f":
        return this.parseLiteral("false", { kind: "boolean", start: this.pos, end: this.pos + 5, value: false });
      case "n":
        return this.parseLiteral("null", { kind: "null", start: this.pos, end: this.pos + 4 });
      case undefined:
        return this.fail("unexpected end of input, expected a JSON value");
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.parseNumber();
        return this.fail(`expected a JSON value, found ${describeChar(this.text, this.pos)}`);
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`invalid literal; expected "${word}"`);
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    const start = this.pos;
    this.pos++; // {
    const members: JsonMember[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { kind: "object", start, end: this.pos, members };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail(`expected a string key, found ${describeChar(this.text, this.pos)}`);
      const keyStart = this.pos;
      const key = this.parseString();
      const keyEnd = this.pos;
      this.skipWhitespace();
      if (this.text[this.pos] !== ":") this.fail(`expected ":" after key, found ${describeChar(this.text, this.pos)}`);
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      members.push({ key, keyStart, keyEnd, value });
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "}") {
        this.pos++;
        return { kind: "object", start, end: this.pos, members };
      }
      this.fail(`expected "," or "}" in object, found ${describeChar(this.text, this.pos)}`);
    }
  }

  private parseArray(depth: number): JsonArray {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    const start = this.pos;
    this.pos++; // [
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return { kind: "array", start, end: this.pos, items };
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "]") {
        this.pos++;
        return { kind: "array", start, end: this.pos, items };
      }
      this.fail(`expected "," or "]" in array, found ${describeChar(this.text, this.pos)}`);
    }
  }

  /** Parses the string starting at the opening quote; leaves `pos` after the closing quote. */
  private parseString(): string {
    const text = this.text;
    const open = this.pos;
    this.pos++;
    let out = "";
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= text.length) this.fail("unterminated string", open);
      const code = text.charCodeAt(this.pos);
      if (code === 0x22) {
        out += text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (code < 0x20) this.fail(`unescaped ${describeChar(text, this.pos)} in string`);
      if (code !== 0x5c) {
        this.pos++;
        continue;
      }
      out += text.slice(chunkStart, this.pos);
      const escape = text[this.pos + 1];
      switch (escape) {
        case '"':
        case "\\":
        case "/":
          out += escape;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case undefined:
          this.fail("unterminated string", open);
          break;
        case "u": {
          let code16 = 0;
          for (let i = 2; i < 6; i++) {
            const digit = hexValue(text.charCodeAt(this.pos + i));
            if (digit < 0) this.fail("invalid \\u escape in string", this.pos);
            code16 = code16 * 16 + digit;
          }
          out += String.fromCharCode(code16);
          this.pos += 4;
          break;
        }
        default:
          this.fail("invalid escape in string");
      }
      this.pos += 2;
      chunkStart = this.pos;
    }
  }

  private parseNumber(): JsonNumber {
    const text = this.text;
    const start = this.pos;
    if (text[this.pos] === "-") this.pos++;
    if (text[this.pos] === "0") {
      this.pos++;
    } else if (isDigit(text.charCodeAt(this.pos))) {
      while (isDigit(text.charCodeAt(this.pos))) this.pos++;
    } else {
      this.fail("invalid number");
    }
    if (text[this.pos] === ".") {
      this.pos++;
      if (!isDigit(text.charCodeAt(this.pos))) this.fail("invalid number: expected a digit after the decimal point");
      while (isDigit(text.charCodeAt(this.pos))) this.pos++;
    }
    if (text[this.pos] === "e" || text[this.pos] === "E") {
      this.pos++;
      if (text[this.pos] === "+" || text[this.pos] === "-") this.pos++;
      if (!isDigit(text.charCodeAt(this.pos))) this.fail("invalid number: expected a digit in the exponent");
      while (isDigit(text.charCodeAt(this.pos))) this.pos++;
    }
    return { kind: "number", start, end: this.pos, value: Number(text.slice(start, this.pos)) };
  }
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}
