/**
 * The Nix syntax tree. Every node carries its exact source span
 * (`start`/`end`, UTF-16 offsets, half-open), so findings point at the
 * precise attribute, string fragment or call.
 */

interface Span {
  start: number;
  end: number;
}

/** A literal run inside a string or path; `start`/`end` cover its raw source text (escapes undecoded). */
export interface StrLiteral extends Span {
  kind: "literal";
}

export interface Interpolation extends Span {
  kind: "interp";
  expr: Expr;
}

export type StrPart = StrLiteral | Interpolation;

/** An attribute name: an identifier or a string without `${}` (static), or a `${…}`/interpolated string (dynamic). */
export type AttrName =
  | (Span & { kind: "static"; name: string })
  | (Span & { kind: "dynamic"; expr: Expr });

export interface AttrDef extends Span {
  kind: "def";
  path: AttrName[];
  value: Expr;
}

export interface Inherit extends Span {
  kind: "inherit";
  from: Expr | null;
  names: AttrName[];
}

export type Binding = AttrDef | Inherit;

export interface Formal extends Span {
  name: string;
  default: Expr | null;
}

export type BinaryOp =
  | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "->" | "//" | "++"
  | "+" | "-" | "*" | "/" | "|>" | "<|";

export type Expr =
  | (Span & { type: "Int"; text: string })
  | (Span & { type: "Float"; text: string })
  | (Span & { type: "Var"; name: string })
  /** `indented` strings have their common indentation stripped by Nix; parts keep raw spans. */
  | (Span & { type: "String"; parts: StrPart[]; indented: boolean })
  /** `kind`: plain/relative path, `~/` home path, or `<search>` lookup. */
  | (Span & { type: "Path"; kind: "path" | "home" | "search"; parts: StrPart[] })
  | (Span & { type: "Uri"; text: string })
  | (Span & { type: "Attrs"; rec: boolean; bindings: Binding[] })
  | (Span & { type: "List"; items: Expr[] })
  | (Span & { type: "Select"; expr: Expr; path: AttrName[]; default: Expr | null })
  | (Span & { type: "HasAttr"; expr: Expr; path: AttrName[] })
  | (Span & { type: "Apply"; fn: Expr; arg: Expr })
  | (Span & { type: "Lambda"; param: string | null; formals: Formal[] | null; ellipsis: boolean; body: Expr })
  | (Span & { type: "Let"; bindings: Binding[]; body: Expr })
  | (Span & { type: "With"; env: Expr; body: Expr })
  | (Span & { type: "Assert"; cond: Expr; body: Expr })
  | (Span & { type: "If"; cond: Expr; then: Expr; else: Expr })
  | (Span & { type: "Not"; expr: Expr })
  | (Span & { type: "Negate"; expr: Expr })
  | (Span & { type: "Binary"; op: BinaryOp; left: Expr; right: Expr })
  /** `let { … body = …; }`, the legacy form: evaluates to the `body` attribute. */
  | (Span & { type: "LegacyLet"; bindings: Binding[] });

export type ExprOf<T extends Expr["type"]> = Extract<Expr, { type: T }>;
