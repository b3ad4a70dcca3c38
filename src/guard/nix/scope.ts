/**
 * Variable scoping as Nix's parser checks it: a variable must be bound by a
 * lambda, `let`, `rec` set or the base environment, unless a `with` encloses
 * it. Nix reports such files as errors before evaluation; guard uses this only
 * where parity with `nix-instantiate --parse` matters (the differential test).
 */
import type { Binding, Expr } from "./ast.js";
import { NIX_GLOBALS } from "./globals.js";
import { NixSyntaxError } from "./syntax-error.js";

interface Scope {
  names: ReadonlySet<string>;
  parent: Scope | null;
  /** A `with` scope: any name resolves (dynamically) here. */
  isWith: boolean;
}

const ROOT: Scope = { names: NIX_GLOBALS, parent: null, isWith: false };

function resolves(scope: Scope | null, name: string): boolean {
  for (let s = scope; s; s = s.parent) {
    if (s.isWith || s.names.has(name)) return true;
  }
  return false;
}

function bindingNames(bindings: Binding[]): Set<string> {
  const names = new Set<string>();
  for (const b of bindings) {
    if (b.kind === "inherit") {
      for (const n of b.names) if (n.kind === "static") names.add(n.name);
    } else if (b.path[0]?.kind === "static") {
      names.add(b.path[0].name);
    }
  }
  return names;
}

/** Throws NixSyntaxError("undefined variable 'x'") at the first unbound variable. */
export function checkScopes(ast: Expr): void {
  visit(ast, ROOT);
}

function visitBindings(bindings: Binding[], inner: Scope, outer: Scope): void {
  for (const b of bindings) {
    if (b.kind === "inherit") {
      if (b.from) visit(b.from, inner);
      else for (const n of b.names) if (n.kind === "static" && !resolves(outer, n.name)) undefinedVar(n.name, n.start);
      continue;
    }
    for (const seg of b.path) if (seg.kind === "dynamic") visit(seg.expr, inner);
    visit(b.value, inner);
  }
}

function undefinedVar(name: string, offset: number): never {
  throw new NixSyntaxError(`undefined variable '${name}'`, offset);
}

function visit(e: Expr, scope: Scope): void {
  switch (e.type) {
    case "Int": case "Float": case "Uri":
      return;
    case "Var":
      if (e.name !== "__curPos" && !resolves(scope, e.name)) undefinedVar(e.name, e.start);
      return;
    case "String": case "Path":
      for (const p of e.parts) if (p.kind === "interp") visit(p.expr, scope);
      return;
    case "Attrs": {
      const inner = e.rec ? { names: bindingNames(e.bindings), parent: scope, isWith: false } : scope;
      visitBindings(e.bindings, inner, scope);
      return;
    }
    case "LegacyLet": {
      const inner = { names: bindingNames(e.bindings), parent: scope, isWith: false };
      visitBindings(e.bindings, inner, scope);
      return;
    }
    case "Let": {
      const inner = { names: bindingNames(e.bindings), parent: scope, isWith: false };
      visitBindings(e.bindings, inner, scope);
      visit(e.body, inner);
      return;
    }
    case "List":
      for (const item of e.items) visit(item, scope);
      return;
    case "Select":
      visit(e.expr, scope);
      for (const seg of e.path) if (seg.kind === "dynamic") visit(seg.expr, scope);
      if (e.default) visit(e.default, scope);
      return;
    case "HasAttr":
      visit(e.expr, scope);
      for (const seg of e.path) if (seg.kind === "dynamic") visit(seg.expr, scope);
      return;
    case "Apply":
      visit(e.fn, scope);
      visit(e.arg, scope);
      return;
    case "Lambda": {
      const names = new Set<string>();
      if (e.param !== null) names.add(e.param);
      for (const f of e.formals ?? []) names.add(f.name);
      const inner = { names, parent: scope, isWith: false };
      for (const f of e.formals ?? []) if (f.default) visit(f.default, inner);
      visit(e.body, inner);
      return;
    }
    case "With":
      visit(e.env, scope);
      visit(e.body, { names: new Set(), parent: scope, isWith: true });
      return;
    case "Assert":
      visit(e.cond, scope);
      visit(e.body, scope);
      return;
    case "If":
      visit(e.cond, scope);
      visit(e.then, scope);
      visit(e.else, scope);
      return;
    case "Not": case "Negate":
      visit(e.expr, scope);
      return;
    case "Binary":
      visit(e.left, scope);
      visit(e.right, scope);
      return;
  }
}
