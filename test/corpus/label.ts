/**
 * Helpers to write labelled cases readably.
 *
 * `labelled()` takes a file written inline with its expectations as trailing
 * markers, which are stripped before linting:
 *
 *     users.users.alice.hashedPassword = "…";  «store-leak/user-password secret/crypt-hash»
 *
 * Marker tokens: a rule id or a bare category; a `?` prefix marks it optional;
 * a `+N` suffix extends the accepted range N lines down.
 *
 * `lockFile()` renders a flake.lock the way `nix flake lock` does (sorted keys,
 * two-space indent) and reports the line range of each node.
 */
import type { Expectation, LabelledCase } from "./types.js";

const MARKER = /[ \t]*«([^»]*)»/g;

function dedent(source: string): string[] {
  const lines = source.replace(/^\n/, "").replace(/\n[ \t]*$/, "").split("\n");
  const indents = lines.filter((l) => l.trim().length > 0).map((l) => /^[ ]*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(cut, /^[ ]*/.exec(l)![0].length)));
}

export function parseMarkers(source: string): { text: string; expect: Expectation[] } {
  const expect: Expectation[] = [];
  const out = dedent(source).map((line, i) => {
    let stripped = line;
    for (const m of line.matchAll(MARKER)) {
      for (const token of m[1]!.trim().split(/\s+/)) {
        const t = /^(\??)([a-z-]+(?:\/[a-z0-9-]+)?)(?:\+(\d+))?$/.exec(token);
        if (!t) throw new Error(`bad marker token "${token}" on line ${i + 1}`);
        const id = t[2]!;
        const e: Expectation = id.includes("/") ? { ruleId: id, line: i + 1 } : { category: id, line: i + 1 };
        if (t[3] !== undefined) e.endLine = i + 1 + Number(t[3]);
        if (t[1] === "?") e.optional = true;
        expect.push(e);
      }
      stripped = stripped.replace(m[0], "");
    }
    if (stripped !== line && line.indexOf("«") < stripped.length) {
      throw new Error(`marker must end line ${i + 1}: ${line}`);
    }
    return stripped;
  });
  return { text: out.join("\n") + "\n", expect };
}

export interface CaseExtras {
  siblingLock?: string | null;
  config?: string;
  /** Expectations that markers cannot express (lock nodes found by name). */
  expect?: Expectation[];
}

export function labelled(name: string, file: string, source: string, extras: CaseExtras = {}): LabelledCase {
  const { text, expect } = parseMarkers(source);
  const c: LabelledCase = { name, file, text, expect: [...expect, ...(extras.expect ?? [])] };
  if (extras.siblingLock !== undefined) c.siblingLock = extras.siblingLock;
  if (extras.config !== undefined) c.config = extras.config;
  return c;
}

// ---------------------------------------------------------------------------
// flake.lock
// ---------------------------------------------------------------------------

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export interface RenderedLock {
  text: string;
  /** First and last line (1-based) of `nodes.<name>`. */
  range(node: string): { line: number; endLine: number };
}

export function lockFile(nodes: Record<string, unknown>, rootInputs: Record<string, string | string[]>, version = 7): RenderedLock {
  const all = { ...nodes, root: { inputs: rootInputs } };
  const text = JSON.stringify(sortKeys({ nodes: all, root: "root", version }), null, 2) + "\n";
  const lines = text.split("\n");
  return {
    text,
    range(node) {
      const start = lines.indexOf(`    ${JSON.stringify(node)}: {`);
      if (start === -1) throw new Error(`no node ${node} in lock`);
      let end = start + 1;
      while (!/^ {4}\},?$/.test(lines[end]!)) end++;
      return { line: start + 1, endLine: end + 1 };
    },
  };
}

export interface ForgeNode {
  type?: "github" | "gitlab";
  owner: string;
  repo: string;
  /** Branch or tag in `original` (omit for the default branch). */
  ref?: string;
  /** When set, also pinned by rev in `original`. */
  originalRev?: boolean;
  rev: string;
  narHash: string;
  lastModified: number;
  inputs?: Record<string, string | string[]>;
}

export function forgeNode(n: ForgeNode): Record<string, unknown> {
  const type = n.type ?? "github";
  const node: Record<string, unknown> = {
    locked: { lastModified: n.lastModified, narHash: n.narHash, owner: n.owner, repo: n.repo, rev: n.rev, type },
    original: { owner: n.owner, repo: n.repo, type, ...(n.ref !== undefined ? { ref: n.ref } : {}), ...(n.originalRev ? { rev: n.rev } : {}) },
  };
  if (n.inputs) node.inputs = n.inputs;
  return node;
}
