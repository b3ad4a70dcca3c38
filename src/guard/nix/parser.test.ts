import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNix } from "./parser.js";
import { NixSyntaxError } from "./syntax-error.js";
import type { Expr } from "./ast.js";

/** A compact S-expression of the tree, to assert shape and precedence. */
function sexp(e: Expr, src: string): string {
  switch (e.type) {
    case "Int": case "Float": return e.text;
    case "Var": return e.name;
    case "Uri": return e.text;
    case "String": return JSON.stringify(src.slice(e.start, e.end));
    case "Path": return `path:${src.slice(e.start, e.end)}`;
    case "Binary": return `(${e.op} ${sexp(e.left, src)} ${sexp(e.right, src)})`;
    case "Not": return `(! ${sexp(e.expr, src)})`;
    case "Negate": return `(neg ${sexp(e.expr, src)})`;
    case "Apply": return `(app ${sexp(e.fn, src)} ${sexp(e.arg, src)})`;
    case "Select": return `(. ${sexp(e.expr, src)} ${e.path.map((p) => (p.kind === "static" ? p.name : "$")).join(".")}${e.default ? ` or ${sexp(e.default, src)}` : ""})`;
    case "HasAttr": return `(? ${sexp(e.expr, src)} ${e.path.map((p) => (p.kind === "static" ? p.name : "$")).join(".")})`;
    case "Lambda": return `(fn ${e.param ?? ""}${e.formals ? `{${e.formals.map((f) => f.name).join(",")}${e.ellipsis ? ",..." : ""}}` : ""} ${sexp(e.body, src)})`;
    case "List": return `[${e.items.map((i) => sexp(i, src)).join(" ")}]`;
    case "Attrs": return `{${e.rec ? "rec " : ""}${e.bindings.map((b) => (b.kind === "def" ? `${b.path.map((p) => (p.kind === "static" ? p.name : "$")).join(".")}=${sexp(b.value, src)}` : "inherit")).join(" ")}}`;
    case "Let": return `(let ${e.bindings.length} ${sexp(e.body, src)})`;
    case "With": return `(with ${sexp(e.env, src)} ${sexp(e.body, src)})`;
    case "Assert": return `(assert ${sexp(e.cond, src)} ${sexp(e.body, src)})`;
    case "If": return `(if ${sexp(e.cond, src)} ${sexp(e.then, src)} ${sexp(e.else, src)})`;
    case "LegacyLet": return "(legacy-let)";
  }
}

const shape = (src: string): string => sexp(parseNix(src).ast, src);

test("operator precedence and associativity follow Nix", () => {
  assert.equal(shape("1 + 2 * 3"), "(+ 1 (* 2 3))");
  assert.equal(shape("a: a - b - c"), "(fn a (- (- a b) c))");
  assert.equal(shape("a: a ++ b ++ c"), "(fn a (++ a (++ b c)))");
  assert.equal(shape("a: a // b // c"), "(fn a (// a (// b c)))");
  assert.equal(shape("a: a -> b -> c"), "(fn a (-> a (-> b c)))");
  assert.equal(shape("a: !a + b"), "(fn a (! (+ a b)))");
  assert.equal(shape("a: !a // b"), "(fn a (// (! a) b))");
  assert.equal(shape("a: -a ? b"), "(fn a (? (neg a) b))");
  assert.equal(shape("a: a || b && c"), "(fn a (|| a (&& b c)))");
  assert.equal(shape("a: a == b && c"), "(fn a (&& (== a b) c))");
  assert.equal(shape("a: f a.b c"), "(fn a (app (app f (. a b)) c))");
  assert.equal(shape("a: a |> f |> g"), "(fn a (|> (|> a f) g))");
});

test("select with `or` defaults, and the legacy `x or` application", () => {
  assert.equal(shape("x: x.a.b or 1"), "(fn x (. x a.b or 1))");
  assert.equal(shape("x: x.or"), "(fn x (. x or))");
  assert.equal(shape("x: f x or"), "(fn x (app f (app x or)))");
});

test("lambdas: formals, defaults, ellipsis, @-patterns and trailing commas", () => {
  assert.equal(shape("{ a, b ? 1, ... }@args: a"), "(fn args{a,b,...} a)");
  assert.equal(shape("args@{ a, b, }: b"), "(fn args{a,b} b)");
  assert.equal(shape("{ }: 1"), "(fn {} 1)");
  assert.equal(shape("{ a = 1; }"), "{a=1}");
});

test("attribute sets: nested paths, strings and interpolated names", () => {
  assert.equal(shape('{ a.b."c d" = 1; ${"e"} = 2; }'), "{a.b.c d=1 e=2}");
  assert.equal(shape("x: { ${x} = 1; }"), "(fn x {$=1})");
  assert.equal(shape("rec { a = 1; b = a; }"), "{rec a=1 b=a}");
});

test("paths, search paths, URIs and interpolated paths", () => {
  assert.equal(shape("./a/b.nix"), "path:./a/b.nix");
  assert.equal(shape("<nixpkgs/lib>"), "path:<nixpkgs/lib>");
  assert.equal(shape("https://example.org/a?b=c"), "https://example.org/a?b=c");
  assert.equal(shape('x: ./a/${x}/c'), "(fn x path:./a/${x}/c)");
  assert.equal(shape("a/b"), "path:a/b");
});

test("spans are exact offsets into the source", () => {
  const src = '{ foo.bar = "baz"; }';
  const ast = parseNix(src).ast;
  assert.equal(ast.type, "Attrs");
  if (ast.type !== "Attrs") return;
  const def = ast.bindings[0]!;
  assert.equal(def.kind, "def");
  if (def.kind !== "def") return;
  assert.equal(src.slice(def.start, def.end), 'foo.bar = "baz";');
  assert.equal(src.slice(def.value.start, def.value.end), '"baz"');
  assert.equal(src.slice(def.path[1]!.start, def.path[1]!.end), "bar");
});

test("comments are collected with their spans", () => {
  const src = "# top\n{ /* inner */ a = 1; }";
  const { comments } = parseNix(src);
  assert.deepEqual(comments.map((c) => src.slice(c.start, c.end)), ["# top", "/* inner */"]);
});

test("syntax errors carry the offset of the offending token", () => {
  const cases: [string, number, RegExp][] = [
    ["{ a = 1 }", 8, /unexpected '}'/],
    ["{ a = 1; a = 2; }", 9, /attribute 'a' already defined/],
    ["{ a, a }: a", 5, /duplicate formal/],
    ["./a/", 4, /trailing slash/],
    ["1 == 2 == 3", 7, /do not chain/],
    ['"abc', 1, /unterminated string/],
    ["let a = 1; in", 13, /unexpected end of file/],
    ["x: let ${x} = 1; in 2", 7, /dynamic attributes not allowed in let/],
  ];
  for (const [src, offset, message] of cases) {
    assert.throws(() => parseNix(src), (err: unknown) => {
      assert.ok(err instanceof NixSyntaxError, `${src}: ${String(err)}`);
      assert.match(err.message, message, src);
      assert.equal(err.offset, offset, `offset for ${JSON.stringify(src)}`);
      return true;
    });
  }
});

test("Nix 2.8 mode refuses pipe operators and deep merges of repeated sets; current mode accepts them", () => {
  assert.throws(() => parseNix("x: 1 |> x", { nix28: true }), NixSyntaxError);
  assert.doesNotThrow(() => parseNix("x: 1 |> x"));
  const deep = "{ a.b.c = 1; a = { b = { d = 2; }; }; }";
  assert.throws(() => parseNix(deep, { nix28: true }), /attribute 'b' already defined/);
  assert.doesNotThrow(() => parseNix(deep));
  assert.throws(() => parseNix("{ a.b.c = 1; a = { b = { c = 2; }; }; }"), /attribute 'c' already defined/);
  assert.doesNotThrow(() => parseNix("x: let a.${x} = 1; in a"));
});
