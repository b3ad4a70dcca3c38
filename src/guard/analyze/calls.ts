/** Helpers to read function calls and module-system wrappers off the syntax tree. */
import type { Expr } from "../nix/ast.js";

/** `lib.mkIf`, `builtins.readFile`, `pkgs.writeText` → the dotted name; null when not a plain name. */
export function dottedName(e: Expr): string | null {
  if (e.type === "Var") return e.name;
  if (e.type === "Select" && e.default === null) {
    const base = dottedName(e.expr);
    if (base === null) return null;
    let out = base;
    for (const seg of e.path) {
      if (seg.kind !== "static") return null;
      out += "." + seg.name;
    }
    return out;
  }
  return null;
}

/** The last segment of a dotted name: `lib.mkIf` → `mkIf`. */
export function baseName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? name : name.slice(dot + 1);
}

export interface Call {
  /** Dotted callee name, or null for an anonymous function expression. */
  name: string | null;
  fn: Expr;
  args: Expr[];
  node: Expr;
}

/** Flatten `f a b c` into its callee and arguments. */
export function asCall(e: Expr): Call | null {
  if (e.type !== "Apply") return null;
  const args: Expr[] = [];
  let fn: Expr = e;
  while (fn.type === "Apply") {
    args.push(fn.arg);
    fn = fn.fn;
  }
  args.reverse();
  return { name: dottedName(fn), fn, args, node: e };
}

/**
 * Module-system wrappers whose result is one of their arguments' values:
 * the index of the payload argument (mkMerge's payload is a list of values).
 */
const WRAPPERS: ReadonlyMap<string, number> = new Map([
  ["mkIf", 1], ["mkDefault", 0], ["mkForce", 0], ["mkOverride", 1], ["mkBefore", 0], ["mkAfter", 0],
  ["mkOrder", 1], ["mkMerge", 0], ["mkOptionDefault", 0], ["mkVMOverride", 0], ["mkImageMediaOverride", 0],
  ["mkFixStrictness", 0], ["optionalAttrs", 1], ["mkDerivedConfig", -1],
]);

/** For a wrapper call, its payload argument and the arguments that are only conditions. */
export function unwrapCall(call: Call): { payload: Expr; isMerge: boolean } | null {
  if (call.name === null) return null;
  const base = baseName(call.name);
  const index = WRAPPERS.get(base);
  if (index === undefined || index < 0) return null;
  const payload = call.args[index];
  if (!payload || call.args.length !== index + 1) return null;
  return { payload, isMerge: base === "mkMerge" };
}

/**
 * The values an option definition really takes: through `mkIf`/`mkDefault`/
 * `mkForce`/`mkOverride`/`mkMerge [ … ]`, `with lib;`, `let … in` and `assert`.
 */
export function effectiveValues(e: Expr, out: Expr[] = [], depth = 0): Expr[] {
  if (depth > 64) return out;
  switch (e.type) {
    case "With": case "Let": case "Assert":
      return effectiveValues(e.body, out, depth + 1);
    case "If":
      effectiveValues(e.then, out, depth + 1);
      return effectiveValues(e.else, out, depth + 1);
    case "Apply": {
      const call = asCall(e);
      const unwrapped = call ? unwrapCall(call) : null;
      if (unwrapped) {
        if (unwrapped.isMerge && unwrapped.payload.type === "List") {
          for (const item of unwrapped.payload.items) effectiveValues(item, out, depth + 1);
          return out;
        }
        return effectiveValues(unwrapped.payload, out, depth + 1);
      }
      out.push(e);
      return out;
    }
    default:
      out.push(e);
      return out;
  }
}

/** True for `null`, `""`, `''''` and `[ ]`: values that carry nothing. */
export function isEmptyValue(e: Expr): boolean {
  if (e.type === "Var") return e.name === "null";
  if (e.type === "String") return e.parts.length === 0;
  if (e.type === "List") return e.items.length === 0;
  return false;
}
