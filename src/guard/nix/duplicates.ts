/**
 * Nix rejects a set that defines the same attribute twice, but merges
 * `a.b = 1; a.c = 2;` and `a = { b = 1; }; a.c = 2;`. This mirrors the
 * `addAttr` logic of Nix's parser so we accept and reject the same files.
 */
import type { Binding, Expr } from "./ast.js";
import { NixSyntaxError } from "./syntax-error.js";

interface Entry {
  inherited: boolean;
  /** The set this attribute holds when it is a set literal (mergeable), else null. */
  attrs: Map<string, Entry> | null;
}

const built = new WeakMap<Binding[], Map<string, Entry>>();

function setOf(value: Expr): Map<string, Entry> | null {
  return value.type === "Attrs" ? (built.get(value.bindings) ?? null) : null;
}

function duplicate(name: string, offset: number): never {
  throw new NixSyntaxError(`attribute '${name}' already defined`, offset);
}

/** Merge `incoming` into `target` as Nix does: one level deep (Nix 2.8), or recursively (current Nix). */
function merge(target: Map<string, Entry>, incoming: Map<string, Entry>, recursive: boolean, offset: number): void {
  for (const [name, entry] of incoming) {
    const existing = target.get(name);
    if (!existing) {
      target.set(name, entry);
      continue;
    }
    if (!recursive || existing.inherited || entry.inherited || !existing.attrs || !entry.attrs) duplicate(name, offset);
    merge(existing.attrs, entry.attrs, recursive, offset);
  }
}

/**
 * Throws NixSyntaxError on the first duplicate; records the set for later merges.
 * `recursiveMerge`: `a.b.c = 1; a = { b = { d = 2; }; };` is accepted by current
 * Nix but refused by Nix 2.8, which merges repeated sets one level deep only.
 */
export function checkDuplicateAttrs(bindings: Binding[], options: { recursiveMerge: boolean }): void {
  const root = new Map<string, Entry>();
  for (const b of bindings) {
    if (b.kind === "inherit") {
      for (const n of b.names) {
        if (n.kind !== "static") continue;
        if (root.has(n.name)) duplicate(n.name, n.start);
        root.set(n.name, { inherited: true, attrs: null });
      }
      continue;
    }
    let attrs: Map<string, Entry> | null = root;
    const last = b.path.length - 1;
    for (let k = 0; k < last && attrs; k++) {
      const seg = b.path[k]!;
      if (seg.kind !== "static") { attrs = null; break; } // under a dynamic name: Nix checks nothing
      const existing = attrs.get(seg.name);
      if (existing) {
        if (existing.inherited || !existing.attrs) duplicate(seg.name, seg.start);
        attrs = existing.attrs;
      } else {
        const nested = new Map<string, Entry>();
        attrs.set(seg.name, { inherited: false, attrs: nested });
        attrs = nested;
      }
    }
    const leaf = b.path[last]!;
    if (!attrs || leaf.kind !== "static") continue;
    const existing = attrs.get(leaf.name);
    const incoming = setOf(b.value);
    if (!existing) {
      attrs.set(leaf.name, { inherited: false, attrs: incoming });
      continue;
    }
    if (existing.inherited || !existing.attrs || !incoming) duplicate(leaf.name, leaf.start);
    merge(existing.attrs, incoming, options.recursiveMerge, leaf.start);
  }
  built.set(bindings, root);
}
