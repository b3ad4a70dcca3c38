/**
 * Nix parser: a Pratt parser over the lexer's tokens that accepts what Nix's
 * own grammar (parser.y) accepts — precedence, associativity, `or`, formals
 * with `@` and trailing commas, legacy `let { }` — and rejects what it
 * rejects at parse time (duplicate attributes and formals, dynamic attributes
 * in `let`/`inherit`, trailing slashes in paths). `|>` and `<|` are accepted
 * as newer Nix does. Scope errors (undefined variables) live in `scope.ts`.
 */
import type { AttrName, Binding, Expr, Formal, StrPart, BinaryOp } from "./ast.js";
import { tokenize, type Comment, type TokenStream, type TokenType } from "./lexer.js";
import { NixSyntaxError } from "./syntax-error.js";
import { checkDuplicateAttrs } from "./duplicates.js";
import { staticStringValue } from "./strings.js";

export interface ParseOptions {
  /**
   * Parse exactly as Nix 2.8 does (the differential-test oracle): refuse `|>`/`<|`
   * and merge repeated attribute sets one level deep only. Default false: accept
   * what current Nix accepts.
   */
  nix28?: boolean;
}

export interface ParseResult {
  ast: Expr;
  source: string;
  comments: Comment[];
}

/** Parse a whole Nix file. Throws NixSyntaxError (with an offset) on the first error. */
export function parseNix(source: string, options: ParseOptions = {}): ParseResult {
  const comments: Comment[] = [];
  const parser = new Parser(source, tokenize(source, comments), options.nix28 ?? false);
  const ast = parser.parseExpr();
  parser.expect("eof", "end of file");
  return { ast, source, comments };
}

interface OpInfo {
  bp: number;
  assoc: "left" | "right" | "none";
}

const BINARY: Partial<Record<TokenType, OpInfo>> = {
  "<|": { bp: 1, assoc: "right" },
  "|>": { bp: 2, assoc: "left" },
  "->": { bp: 3, assoc: "right" },
  "||": { bp: 4, assoc: "left" },
  "&&": { bp: 5, assoc: "left" },
  "==": { bp: 6, assoc: "none" },
  "!=": { bp: 6, assoc: "none" },
  "<": { bp: 7, assoc: "none" },
  ">": { bp: 7, assoc: "none" },
  "<=": { bp: 7, assoc: "none" },
  ">=": { bp: 7, assoc: "none" },
  "//": { bp: 8, assoc: "right" },
  "+": { bp: 10, assoc: "left" },
  "-": { bp: 10, assoc: "left" },
  "*": { bp: 11, assoc: "left" },
  "/": { bp: 11, assoc: "left" },
  "++": { bp: 12, assoc: "right" },
};
const MAX_INT = 2n ** 63n - 1n;
const NOT_BP = 9;
const HAS_ATTR_BP = 13;
const NEGATE_BP = 14;

/** Tokens that can begin an `expr_select` (an application argument or list item). */
const STARTS_SIMPLE: ReadonlySet<TokenType> = new Set<TokenType>([
  "id", "int", "float", "\"", "''open", "path", "hpath", "spath", "uri", "(", "[", "{", "rec",
]);

const DESCRIBE: Partial<Record<TokenType, string>> = {
  eof: "end of file", id: "identifier", str: "string text", ind_str: "string text", "''open": "''",
  "''close": "''", path_end: "end of path", int: "integer", float: "float",
};

class Parser {
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly toks: TokenStream,
    private readonly nix28: boolean,
  ) {}

  /** Index of the current token (tokens are indices into the stream's arrays). */
  private get tok(): number {
    return Math.min(this.i, this.toks.count - 1);
  }

  private tt(t: number): TokenType {
    return this.toks.types[t]!;
  }

  private ts(t: number): number {
    return this.toks.starts[t]!;
  }

  private te(t: number): number {
    return this.toks.ends[t]!;
  }

  /** The current token's type (a call, so TypeScript does not narrow it across `next()`). */
  private ty(): TokenType {
    return this.toks.types[this.tok]!;
  }

  private peek(k = 1): number {
    return Math.min(this.i + k, this.toks.count - 1);
  }

  private next(): number {
    const t = this.tok;
    if (this.tt(t) !== "eof") this.i++;
    return t;
  }

  private text(t: number): string {
    return this.src.slice(this.ts(t), this.te(t));
  }

  private fail(t: number, expected: string): never {
    const seen = DESCRIBE[this.tt(t)] ?? `'${this.text(t)}'`;
    throw new NixSyntaxError(`syntax error, unexpected ${seen}, expecting ${expected}`, this.ts(t));
  }

  expect(type: TokenType, what: string = type): number {
    if (this.ty() !== type) this.fail(this.tok, what);
    return this.next();
  }

  /** expr_function: lambdas, assert, with, let … in, then if / operators. */
  parseExpr(): Expr {
    const t = this.tok;
    switch (this.tt(t)) {
      case "id": {
        const after = this.tt(this.peek());
        if (after === ":") {
          this.i += 2;
          const body = this.parseExpr();
          return { type: "Lambda", param: this.text(t), formals: null, ellipsis: false, body, start: this.ts(t), end: body.end };
        }
        if (after === "@" && this.tt(this.peek(2)) === "{") {
          this.i += 2;
          return this.parseFormalsLambda(this.ts(t), this.text(t));
        }
        break;
      }
      case "{":
        if (this.looksLikeFormals()) return this.parseFormalsLambda(this.ts(t), null);
        break;
      case "assert": {
        this.next();
        const cond = this.parseExpr();
        this.expect(";", "';'");
        const body = this.parseExpr();
        return { type: "Assert", cond, body, start: this.ts(t), end: body.end };
      }
      case "with": {
        this.next();
        const env = this.parseExpr();
        this.expect(";", "';'");
        const body = this.parseExpr();
        return { type: "With", env, body, start: this.ts(t), end: body.end };
      }
      case "let":
        if (this.tt(this.peek()) === "{") break; // legacy `let { … }` is a simple expression
        {
          this.next();
          const bindings = this.parseBindings("in", "let");
          this.expect("in", "'in'");
          const body = this.parseExpr();
          return { type: "Let", bindings, body, start: this.ts(t), end: body.end };
        }
      case "if": {
        this.next();
        const cond = this.parseExpr();
        this.expect("then", "'then'");
        const then = this.parseExpr();
        this.expect("else", "'else'");
        const els = this.parseExpr();
        return { type: "If", cond, then, else: els, start: this.ts(t), end: els.end };
      }
      default:
        break;
    }
    return this.parseOp(0);
  }

  /** After `{`: formals when the braces close into `:`/`@`, or start with `x,`, `x ?`, `...`. */
  private looksLikeFormals(): boolean {
    const a = this.tt(this.peek(1));
    if (a === "}") {
      const b = this.tt(this.peek(2));
      return b === ":" || b === "@";
    }
    if (a === "ellipsis") return true;
    if (a !== "id") return false;
    const b = this.tt(this.peek(2));
    if (b === "," || b === "?") return true;
    if (b === "}") {
      const c = this.tt(this.peek(3));
      return c === ":" || c === "@";
    }
    return false;
  }

  private parseFormalsLambda(start: number, atName: string | null): Expr {
    this.expect("{", "'{'");
    const formals: Formal[] = [];
    let ellipsis = false;
    while (this.ty() !== "}") {
      if (this.ty() === "ellipsis") {
        this.next();
        ellipsis = true;
        if (this.ty() !== "}") this.fail(this.tok, "'}'");
        break;
      }
      const name = this.expect("id", "identifier");
      let def: Expr | null = null;
      if (this.ty() === "?") {
        this.next();
        def = this.parseExpr();
      }
      formals.push({ name: this.text(name), default: def, start: this.ts(name), end: def ? def.end : this.te(name) });
      if (this.ty() === ",") this.next();
      else if (this.ty() !== "}") this.fail(this.tok, "',' or '}'");
    }
    this.expect("}", "'}'");
    let param = atName;
    if (param === null && this.ty() === "@") {
      this.next();
      param = this.text(this.expect("id", "identifier"));
    }
    this.expect(":", "':'");
    const seen = new Set<string>();
    for (const f of formals) {
      if (seen.has(f.name) || f.name === param) {
        throw new NixSyntaxError(`duplicate formal function argument '${f.name}'`, f.start);
      }
      seen.add(f.name);
    }
    const body = this.parseExpr();
    return { type: "Lambda", param, formals, ellipsis, body, start, end: body.end };
  }

  /** Binary and unary operators by binding power (Pratt). */
  private parseOp(minBp: number): Expr {
    let left = this.parsePrefix();
    for (;;) {
      const t = this.tok;
      if (this.tt(t) === "?") {
        if (HAS_ATTR_BP < minBp) break;
        this.next();
        const path = this.parseAttrPath();
        left = { type: "HasAttr", expr: left, path, start: left.start, end: path[path.length - 1]!.end };
        continue;
      }
      const info = BINARY[this.tt(t)];
      if (!info || info.bp < minBp) break;
      if (this.nix28 && (this.tt(t) === "|>" || this.tt(t) === "<|")) this.fail(t, "an operator supported by Nix 2.8");
      this.next();
      const right = this.parseOp(info.assoc === "right" ? info.bp : info.bp + 1);
      left = { type: "Binary", op: this.tt(t) as BinaryOp, left, right, start: left.start, end: right.end };
      if (info.assoc === "none" && BINARY[this.ty()]?.bp === info.bp) this.fail(this.tok, "an operand (comparison operators do not chain)");
    }
    return left;
  }

  private parsePrefix(): Expr {
    const t = this.tok;
    if (this.tt(t) === "!") {
      this.next();
      const expr = this.parseOp(NOT_BP);
      return { type: "Not", expr, start: this.ts(t), end: expr.end };
    }
    if (this.tt(t) === "-") {
      this.next();
      const expr = this.parseOp(NEGATE_BP);
      return { type: "Negate", expr, start: this.ts(t), end: expr.end };
    }
    return this.parseApp();
  }

  private startsSimple(): boolean {
    const t = this.ty();
    return STARTS_SIMPLE.has(t) || (t === "let" && this.tt(this.peek()) === "{");
  }

  private parseApp(): Expr {
    let fn = this.parseSelect();
    while (this.startsSimple()) {
      const arg = this.parseSelect();
      fn = { type: "Apply", fn, arg, start: fn.start, end: arg.end };
    }
    return fn;
  }

  /** expr_select: `e.a.b`, `e.a or d`, and the legacy `e or` (application of the variable `or`). */
  private parseSelect(): Expr {
    const e = this.parseSimple();
    if (this.ty() === ".") {
      this.next();
      const path = this.parseAttrPath();
      let def: Expr | null = null;
      if (this.ty() === "or") {
        this.next();
        def = this.parseSelect();
      }
      return { type: "Select", expr: e, path, default: def, start: e.start, end: def ? def.end : path[path.length - 1]!.end };
    }
    if (this.ty() === "or") {
      const t = this.next();
      const orVar: Expr = { type: "Var", name: "or", start: this.ts(t), end: this.te(t) };
      return { type: "Apply", fn: e, arg: orVar, start: e.start, end: this.te(t) };
    }
    return e;
  }

  private parseSimple(): Expr {
    const t = this.tok;
    switch (this.tt(t)) {
      case "id":
        this.next();
        return { type: "Var", name: this.text(t), start: this.ts(t), end: this.te(t) };
      case "int":
        this.next();
        if (this.te(t) - this.ts(t) > 18 && BigInt(this.text(t)) > MAX_INT) throw new NixSyntaxError(`invalid integer '${this.text(t)}'`, this.ts(t));
        return { type: "Int", text: this.text(t), start: this.ts(t), end: this.te(t) };
      case "float":
        this.next();
        return { type: "Float", text: this.text(t), start: this.ts(t), end: this.te(t) };
      case "\"":
        return this.parseString();
      case "''open":
        return this.parseIndString();
      case "path":
      case "hpath":
        return this.parsePath();
      case "spath":
        this.next();
        return { type: "Path", kind: "search", parts: [{ kind: "literal", start: this.ts(t) + 1, end: this.te(t) - 1 }], start: this.ts(t), end: this.te(t) };
      case "uri":
        this.next();
        return { type: "Uri", text: this.text(t), start: this.ts(t), end: this.te(t) };
      case "(": {
        this.next();
        const e = this.parseExpr();
        this.expect(")", "')'");
        return e;
      }
      case "[": {
        this.next();
        const items: Expr[] = [];
        while (this.ty() !== "]") {
          if (!this.startsSimple()) this.fail(this.tok, "']'");
          items.push(this.parseSelect());
        }
        const close = this.next();
        return { type: "List", items, start: this.ts(t), end: this.te(close) };
      }
      case "let": {
        this.next();
        this.expect("{", "'{'");
        const bindings = this.parseBindings("}", "attrs");
        const close = this.expect("}", "'}'");
        return { type: "LegacyLet", bindings, start: this.ts(t), end: this.te(close) };
      }
      case "rec":
      case "{": {
        this.next();
        if (this.tt(t) === "rec") this.expect("{", "'{'");
        const bindings = this.parseBindings("}", "attrs");
        const close = this.expect("}", "'}'");
        return { type: "Attrs", rec: this.tt(t) === "rec", bindings, start: this.ts(t), end: this.te(close) };
      }
      default:
        return this.fail(t, "an expression");
    }
  }

  private parseStringParts(close: TokenType, literal: TokenType): { parts: StrPart[]; end: number } {
    const parts: StrPart[] = [];
    for (;;) {
      const t = this.tok;
      if (this.tt(t) === close) {
        this.next();
        return { parts, end: this.te(t) };
      }
      if (this.tt(t) === literal) {
        this.next();
        parts.push({ kind: "literal", start: this.ts(t), end: this.te(t) });
      } else if (this.tt(t) === "${") {
        this.next();
        const expr = this.parseExpr();
        const r = this.expect("}", "'}'");
        parts.push({ kind: "interp", expr, start: this.ts(t), end: this.te(r) });
      } else {
        this.fail(t, close === "\"" ? "'\"'" : "''");
      }
    }
  }

  private parseString(): Expr {
    const open = this.next();
    const { parts, end } = this.parseStringParts("\"", "str");
    return { type: "String", parts, indented: false, start: this.ts(open), end };
  }

  private parseIndString(): Expr {
    const open = this.next();
    const { parts, end } = this.parseStringParts("''close", "ind_str");
    return { type: "String", parts, indented: true, start: this.ts(open), end };
  }

  private parsePath(): Expr {
    const first = this.next();
    const parts: StrPart[] = [{ kind: "literal", start: this.ts(first), end: this.te(first) }];
    const { parts: rest, end } = this.parseStringParts("path_end", "str");
    // Nix's grammar: a path continues only through an interpolation (`./a/${x}…`, `./a${x}`).
    const [p0, p1] = rest;
    if (p0 && p0.kind === "literal" && p1?.kind !== "interp") {
      throw new NixSyntaxError("syntax error, unexpected end of path, expecting '${'", p1 ? p1.start : end);
    }
    parts.push(...rest);
    return { type: "Path", kind: this.tt(first) === "hpath" ? "home" : "path", parts, start: this.ts(first), end: Math.max(end, this.te(first)) };
  }

  /** An attribute name: identifier, `or`, "string" or `${expr}`. */
  private parseAttrName(): AttrName {
    const t = this.tok;
    if (this.tt(t) === "id" || this.tt(t) === "or") {
      this.next();
      return { kind: "static", name: this.text(t), start: this.ts(t), end: this.te(t) };
    }
    if (this.tt(t) === "\"") {
      const s = this.parseString();
      return this.nameFromExpr(s, this.ts(t), s.end);
    }
    if (this.tt(t) === "${") {
      this.next();
      const e = this.parseExpr();
      const close = this.expect("}", "'}'");
      return this.nameFromExpr(e, this.ts(t), this.te(close));
    }
    return this.fail(t, "an attribute name");
  }

  /** A string without interpolation is a static name, as Nix folds `"a"` and `${"a"}`. */
  private nameFromExpr(e: Expr, start: number, end: number): AttrName {
    const value = e.type === "String" ? staticStringValue(this.src, e) : null;
    return value === null ? { kind: "dynamic", expr: e, start, end } : { kind: "static", name: value, start, end };
  }

  private parseAttrPath(): AttrName[] {
    const path = [this.parseAttrName()];
    while (this.ty() === ".") {
      this.next();
      path.push(this.parseAttrName());
    }
    return path;
  }

  /** Bindings up to (not including) `terminator`; `context` picks the duplicate/dynamic rules. */
  private parseBindings(terminator: TokenType, context: "let" | "attrs"): Binding[] {
    const bindings: Binding[] = [];
    while (this.ty() !== terminator) {
      const t = this.tok;
      if (this.tt(t) === "inherit") {
        this.next();
        let from: Expr | null = null;
        if (this.ty() === "(") {
          this.next();
          from = this.parseExpr();
          this.expect(")", "')'");
        }
        const names: AttrName[] = [];
        while (this.ty() !== ";") {
          const name = this.parseAttrName();
          if (name.kind === "dynamic") throw new NixSyntaxError("dynamic attributes not allowed in inherit", name.start);
          names.push(name);
        }
        const semi = this.next();
        bindings.push({ kind: "inherit", from, names, start: this.ts(t), end: this.te(semi) });
        continue;
      }
      if (this.tt(t) !== "id" && this.tt(t) !== "or" && this.tt(t) !== "\"" && this.tt(t) !== "${") {
        this.fail(t, terminator === "in" ? "'in' or an attribute name" : "'}' or an attribute name");
      }
      const path = this.parseAttrPath();
      // Only a dynamic *first* name is refused: deeper ones live in a nested set, as in Nix.
      if (context === "let" && path[0]?.kind === "dynamic") throw new NixSyntaxError("dynamic attributes not allowed in let", path[0].start);
      this.expect("=", "'='");
      const value = this.parseExpr();
      const semi = this.expect(";", "';'");
      bindings.push({ kind: "def", path, value, start: this.ts(t), end: this.te(semi) });
    }
    checkDuplicateAttrs(bindings, { recursiveMerge: !this.nix28 });
    return bindings;
  }
}
