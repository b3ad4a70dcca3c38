/**
 * One pass over a Nix syntax tree that tracks the NixOS option path each
 * value lands on — through nested sets and `a.b.c = v;`, `lib.mkIf`/`mkMerge`/
 * `mkDefault`/`mkForce`/`mkOverride`, `with lib;`, `let` bindings, `config =`
 * module roots and lists of modules — and reports definitions, calls, strings
 * and path literals to the rules. Rules never re-walk the tree.
 */
import type { AttrDef, AttrName, Binding, Expr, ExprOf } from "../nix/ast.js";
import { asCall, baseName, unwrapCall, type Call } from "./calls.js";

/** Where a node sits: the option path of the value it belongs to (`*` for dynamic names and list items). */
export interface Site {
  path: readonly string[];
  /** The innermost enclosing definition (attribute or `let` binding), if any. */
  def: AttrDef | null;
  /** True inside a `${…}` interpolation. */
  interpolated: boolean;
  /** Base name of the call this node is a direct argument of (`readFile`, `writeText`), if any. */
  argOf: string | null;
}

export interface DefEvent extends Site {
  /** `attrs` for attribute sets (options), `let` for let bindings. */
  scope: "attrs" | "let";
  binding: AttrDef;
  /** Span of the attribute path as written (`a.b.c`). */
  nameStart: number;
  nameEnd: number;
}

export interface WalkHandlers {
  def?: (ev: DefEvent) => void;
  call?: (call: Call, site: Site) => void;
  string?: (node: ExprOf<"String">, site: Site) => void;
  path?: (node: ExprOf<"Path">, site: Site) => void;
  /** Called by the linter after the walk, for rules that judge the file as a whole. */
  finish?: () => void;
}

/** Names under which list items are whole modules (their paths restart at the root). */
const MODULE_LISTS = new Set(["imports", "modules", "sharedModules", "extraModules", "nixosModules"]);
/** mkOption documentation fields: examples and prose, never configuration. */
const OPTION_DOC_FIELDS = new Set(["example", "description", "defaultText", "apply", "relatedPackages"]);
const OPTION_BUILDERS = new Set(["mkOption", "mkPackageOption", "mkEnableOption", "mkSinkUndeclaredOptions"]);
const DOC_ONLY_CALLS = new Set(["literalExpression", "literalExample", "literalMD", "mdDoc", "literalDocBook"]);

const MAX_DEPTH = 2000;

const EMPTY: readonly string[] = [];

/** The site of a value that is not an option value (a condition, a function, a default): no path. */
function rootOf(site: Site): Site {
  return { path: EMPTY, def: site.def, interpolated: site.interpolated, argOf: null };
}

function segmentName(seg: AttrName): string {
  return seg.kind === "static" ? seg.name : "*";
}

export function walkNix(ast: Expr, handlers: WalkHandlers): void {
  new Walker(handlers).visit(ast, { path: [], def: null, interpolated: false, argOf: null }, 0);
}

class Walker {
  /** Let-bound names in scope, innermost last, for following `x = someLetBinding;`. */
  private readonly lets: Map<string, Expr>[] = [];
  private readonly expanding = new Set<Expr>();

  constructor(private readonly h: WalkHandlers) {}

  private lookup(name: string): Expr | undefined {
    for (let i = this.lets.length - 1; i >= 0; i--) {
      const v = this.lets[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  visit(e: Expr, site: Site, depth: number): void {
    if (depth > MAX_DEPTH) throw new RangeError("expression nested too deeply to analyse");
    const d = depth + 1;
    switch (e.type) {
      case "Int": case "Float": case "Uri": case "Var":
        return;
      case "String":
        this.h.string?.(e, site);
        for (const p of e.parts) if (p.kind === "interp") this.visit(p.expr, { ...site, interpolated: true, argOf: null }, d);
        return;
      case "Path":
        this.h.path?.(e, site);
        for (const p of e.parts) if (p.kind === "interp") this.visit(p.expr, { ...site, interpolated: true, argOf: null }, d);
        return;
      case "Attrs": case "LegacyLet":
        this.bindings(e.bindings, site, "attrs", d);
        return;
      case "Let": {
        const scope = new Map<string, Expr>();
        for (const b of e.bindings) {
          const first = b.kind === "def" ? b.path[0] : undefined;
          if (b.kind === "def" && b.path.length === 1 && first?.kind === "static") scope.set(first.name, b.value);
        }
        this.lets.push(scope);
        this.bindings(e.bindings, rootOf(site), "let", d);
        this.visit(e.body, site, d);
        this.lets.pop();
        return;
      }
      case "List": {
        const last = site.path[site.path.length - 1];
        const itemPath = last !== undefined && MODULE_LISTS.has(last) ? [] : [...site.path, "*"];
        for (const item of e.items) this.visit(item, { ...site, path: itemPath, argOf: null }, d);
        return;
      }
      case "Select":
        this.visit(e.expr, rootOf(site), d);
        for (const seg of e.path) if (seg.kind === "dynamic") this.visit(seg.expr, rootOf(site), d);
        if (e.default) this.visit(e.default, site, d);
        return;
      case "HasAttr":
        this.visit(e.expr, rootOf(site), d);
        for (const seg of e.path) if (seg.kind === "dynamic") this.visit(seg.expr, rootOf(site), d);
        return;
      case "Apply":
        this.apply(e, site, d);
        return;
      case "Lambda":
        for (const f of e.formals ?? []) if (f.default) this.visit(f.default, rootOf(site), d);
        this.visit(e.body, site, d);
        return;
      case "With":
        this.visit(e.env, rootOf(site), d);
        this.visit(e.body, site, d);
        return;
      case "Assert":
        this.visit(e.cond, rootOf(site), d);
        this.visit(e.body, site, d);
        return;
      case "If":
        this.visit(e.cond, rootOf(site), d);
        this.visit(e.then, site, d);
        this.visit(e.else, site, d);
        return;
      case "Not": case "Negate":
        this.visit(e.expr, rootOf(site), d);
        return;
      case "Binary":
        // `//`, `++` and `+` combine values of the same option; comparisons are conditions.
        this.visit(e.left, site, d);
        this.visit(e.right, site, d);
        return;
    }
  }

  private apply(e: Expr, site: Site, d: number): void {
    const call = asCall(e)!;
    const unwrapped = unwrapCall(call);
    if (unwrapped) {
      for (const arg of call.args) {
        if (arg !== unwrapped.payload) this.visit(arg, { path: [], def: site.def, interpolated: site.interpolated, argOf: null }, d);
        // mkMerge [ a b ]: each item defines the same option, it is not a list element.
        else if (unwrapped.isMerge && arg.type === "List") for (const item of arg.items) this.visit(item, { ...site, argOf: null }, d);
        else this.visit(arg, { ...site, argOf: null }, d);
      }
      return;
    }
    const base = call.name === null ? null : baseName(call.name);
    if (base !== null && DOC_ONLY_CALLS.has(base)) return;
    this.h.call?.(call, site);
    this.visit(call.fn, { path: [], def: site.def, interpolated: site.interpolated, argOf: null }, d);
    const isOptionBuilder = base !== null && OPTION_BUILDERS.has(base);
    for (const arg of call.args) {
      if (isOptionBuilder && arg.type === "Attrs") {
        this.optionDeclaration(arg, site, d);
        continue;
      }
      this.visit(arg, { path: [], def: site.def, interpolated: site.interpolated, argOf: base }, d);
    }
  }

  /** `mkOption { … }`: skip documentation fields (examples are not configuration). */
  private optionDeclaration(arg: ExprOf<"Attrs">, site: Site, d: number): void {
    const kept = arg.bindings.filter((b) => {
      const first = b.kind === "def" ? b.path[0] : undefined;
      return !(first?.kind === "static" && OPTION_DOC_FIELDS.has(first.name));
    });
    this.bindings(kept, { path: [], def: site.def, interpolated: site.interpolated, argOf: null }, "attrs", d);
  }

  private bindings(bindings: Binding[], site: Site, scope: "attrs" | "let", d: number): void {
    for (const b of bindings) {
      if (b.kind === "inherit") {
        if (b.from) this.visit(b.from, { ...site, path: [], argOf: null }, d);
        if (scope === "attrs") for (const def of this.inheritedDefs(b)) this.bindings([def], site, scope, d);
        continue;
      }
      // A module's `config = …` (or `config.x = …`) is the option root.
      const skip = scope === "attrs" && site.path.length === 0 && b.path[0]?.kind === "static" && b.path[0].name === "config" ? 1 : 0;
      const path = site.path.slice();
      for (let k = 0; k < b.path.length; k++) {
        const seg = b.path[k]!;
        if (seg.kind === "dynamic") this.visit(seg.expr, { path: [], def: site.def, interpolated: site.interpolated, argOf: null }, d);
        if (k >= skip) path.push(segmentName(seg));
      }
      const defSite: Site = { path, def: b, interpolated: false, argOf: null };
      this.h.def?.({ path, def: b, interpolated: false, argOf: null, scope, binding: b, nameStart: b.path[0]!.start, nameEnd: b.path[b.path.length - 1]!.end });
      this.visit(b.value, defSite, d);
      this.followLetValue(b.value, defSite, d);
    }
  }

  /**
   * `inherit password;` and `inherit (cfg) password;` define options too: as
   * `password = password;` (followed into its `let` value) and `password = cfg.password;`.
   */
  private inheritedDefs(b: Extract<Binding, { kind: "inherit" }>): AttrDef[] {
    const defs: AttrDef[] = [];
    for (const n of b.names) {
      if (n.kind !== "static") continue;
      const value: Expr = b.from
        ? { type: "Select", expr: b.from, path: [n], default: null, start: n.start, end: n.end }
        : { type: "Var", name: n.name, start: n.start, end: n.end };
      defs.push({ kind: "def", path: [n], value, start: n.start, end: n.end });
    }
    return defs;
  }

  /** `users.users.alice = alice;` with `let alice = { … };`: analyse the bound value at this path too. */
  private followLetValue(value: Expr, site: Site, d: number): void {
    if (value.type !== "Var" || site.path.length === 0) return;
    const bound = this.lookup(value.name);
    if (!bound || this.expanding.has(bound)) return;
    this.expanding.add(bound);
    try {
      this.visit(bound, site, d);
    } finally {
      this.expanding.delete(bound);
    }
  }
}
