/**
 * Nix rejects a set that defines the same attribute twice, but merges
 * `a.b = 1; a.c = 2;` and `a = { b = 1; }; a.c = 2;`. This mirrors the
 * `addAttr` logic of Nix's parser so we accept and reject the same files.
 *
 * Nested sets are looked into only when a name repeats (rare), so the common
 * case costs one map per set.
 */
import type { Binding, Expr } from "./ast.js";
import { NixSyntaxError } from "./syntax-error.js";

interface Entry {
  inherited: boolean;
  /** The set literal this attribute holds, not yet expanded into `attrs`. */
  literal: Binding[] | null;
  /** The attribute's members when known: created by `a.b = …` paths or expanded from `literal`. */
  attrs: Map<string, Entry> | null;
}

function duplicate(name: string, offset: number): never {
  throw new NixSyntaxError(`attribute '${name}' already defined`, offset);
}

function entryFor(value: Expr): Entry {
  return { inherited: false, literal: value.type === "Attrs" ? value.bindings : null, attrs: null };
}

/** The members of an entry that is a set, expanding a set literal on first use; null when it is not a set. */
function membersOf(entry: Entry, recursive: boolean): Map<string, Entry> | null {
  if (entry.inherited) return null;
  if (entry.attrs === null && entry.literal !== null) {
    entry.attrs = buildMembers(entry.literal, recursive);
    entry.literal = null;
  }
  return entry.attrs;
}

/** Merge `incoming` into `target` as Nix does: one level deep (Nix 2.8), or recursively (current Nix). */
function merge(target: Map<string, Entry>, incoming: Map<string, Entry>, recursive: boolean, offset: number): void {
  for (const [name, entry] of incoming) {
    const existing = target.get(name);
    if (!existing) {
      target.set(name, entry);
      continue;
    }
    const a = recursive ? membersOf(existing, recursive) : null;
    const b = recursive ? membersOf(entry, recursive) : null;
    if (!a || !b) duplicate(name, offset);
    merge(a, b, recursive, offset);
  }
}

function buildMembers(bindings: Binding[], recursive: boolean): Map<string, Entry> {
  const root = new Map<string, Entry>();
  for (const b of bindings) {
    if (b.kind === "inherit") {
      for (const n of b.names) {
        if (n.kind !== "static") continue;
        if (root.has(n.name)) duplicate(n.name, n.start);
        root.set(n.name, { inherited: true, literal: null, attrs: null });
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
        const members = membersOf(existing, recursive);
        if (!members) duplicate(seg.name, seg.start);
        attrs = members;
      } else {
        const nested = new Map<string, Entry>();
        attrs.set(seg.name, { inherited: false, literal: null, attrs: nested });
        attrs = nested;
      }
    }
    const leaf = b.path[last]!;
    if (!attrs || leaf.kind !== "static") continue;
    const existing = attrs.get(leaf.name);
    if (!existing) {
      attrs.set(leaf.name, entryFor(b.value));
      continue;
    }
    const target = membersOf(existing, recursive);
    const incoming = b.value.type === "Attrs" ? buildMembers(b.value.bindings, recursive) : null;
    if (!target || !incoming) duplicate(leaf.name, leaf.start);
    merge(target, incoming, recursive, leaf.start);
  }
  return root;
}

/**
 * Throws NixSyntaxError on the first duplicate. `recursiveMerge`:
 * `a.b.c = 1; a = { b = { d = 2; }; };` is accepted by current Nix but refused
 * by Nix 2.8, which merges repeated sets one level deep only.
 */
export function checkDuplicateAttrs(bindings: Binding[], options: { recursiveMerge: boolean }): void {
  buildMembers(bindings, options.recursiveMerge);
}
