/**
 * Deterministic generator of realistic NixOS fleet repositories, for benchmarking
 * `hostplane guard` on a large, mostly clean tree.
 *
 *   node dist/bench/generate-corpus.js --out DIR [--megabytes 50] [--seed 1] [--plant N]
 *
 * Writes DIR/fleet-NNNN-<org>/ trees (flake.nix + flake.lock, hosts, custom
 * modules with options/config, packages, overlays, home-manager configs, agenix
 * or sops declarations) until about `--megabytes` MB are written. The same seed
 * always gives byte-identical output. Each file's clean content depends only on
 * the seed and its path, so `--plant N` changes only the files that receive a
 * plant (the planted lines, sometimes the layout of the enclosing attribute set).
 *
 * `--plant N` plants N known bad patterns (secrets, store leaks, cache-trust
 * weakenings) and writes their expected locations to DIR/planted.json. Fake
 * secrets are assembled at run time, so no secret-looking literal sits in this
 * source file. No dependencies beyond node built-ins.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

// ───────────────────────────── PRNG ─────────────────────────────

/** FNV-1a 32-bit. */
function hash32(s: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** sfc32 seeded through splitmix32. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const sm = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("pick from empty list");
    return xs[Math.floor(this.float() * xs.length)] as T;
  }

  /** k distinct elements, in random order. */
  sample<T>(xs: readonly T[], k: number): T[] {
    const a = xs.slice();
    const n = Math.min(k, a.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.float() * (a.length - i));
      const t = a[i] as T;
      a[i] = a[j] as T;
      a[j] = t;
    }
    return a.slice(0, n);
  }

  /** Log-uniform in [lo, hi]: many small values, a tail of large ones. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo)));
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.float() * alphabet.length)];
    return s;
  }

  hex(n: number): string {
    return this.chars("0123456789abcdef", n);
  }
}

// ──────────────────────── Nix expression model ────────────────────────

type Part = string | { i: string };

type Expr =
  | { k: "atom"; s: string }
  | { k: "code"; s: string }
  | { k: "str"; parts: Part[] }
  | { k: "ind"; lines: Part[][] }
  | { k: "list"; items: Expr[] }
  | { k: "lcmt"; text: string }
  | { k: "set"; entries: Entry[]; rec: boolean; nest: number }
  | { k: "app"; fn: string; args: Expr[] }
  | { k: "lam"; head: string; body: Expr; nl: boolean }
  | { k: "let"; binds: Entry[]; body: Expr }
  | { k: "with"; scope: string; body: Expr; nl: boolean }
  | { k: "if"; cond: string; yes: Expr; no: Expr }
  | { k: "op"; op: string; l: Expr; r: Expr };

type Entry =
  | { k: "bind"; path: string[]; value: Expr; comment: string[] }
  | { k: "inherit"; from: string | null; names: string[] }
  | { k: "comment"; lines: string[] };

const EXPRS = new WeakSet<object>();
function mk<T extends Expr>(e: T): T {
  EXPRS.add(e);
  return e;
}
function isExpr(x: unknown): x is Expr {
  return typeof x === "object" && x !== null && EXPRS.has(x);
}

type V = Expr | string | number | boolean | null | readonly V[] | { readonly [key: string]: V };

/** Parses `%{expr}` interpolation markers out of a template. */
function parseInterp(s: string): Part[] {
  const parts: Part[] = [];
  let lit = "";
  let i = 0;
  while (i < s.length) {
    if (s[i] === "%" && s[i + 1] === "{") {
      let depth = 1;
      let j = i + 2;
      while (j < s.length && depth > 0) {
        if (s[j] === "{") depth++;
        else if (s[j] === "}") depth--;
        j++;
      }
      if (lit) parts.push(lit);
      lit = "";
      parts.push({ i: s.slice(i + 2, j - 1) });
      i = j;
      continue;
    }
    lit += s[i];
    i++;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** Atomic expression text (identifier, selection, number, path, literal). */
const A = (s: string): Expr => mk({ k: "atom", s });
/** Non-atomic one-line code (application, operators): parenthesised where needed. */
const C = (s: string): Expr => mk({ k: "code", s });
/** Double-quoted string; `%{e}` marks an interpolation. */
const S = (template: string): Expr => mk({ k: "str", parts: parseInterp(template) });
/** Literal double-quoted string (no interpolation markers). */
const LIT = (s: string): Expr => mk({ k: "str", parts: [s] });
/** Indented string from lines; `%{e}` marks an interpolation. */
const IND = (lines: readonly string[]): Expr => mk({ k: "ind", lines: lines.map(parseInterp) });
const L = (...items: V[]): Expr => mk({ k: "list", items: items.map(v) });
const LC = (text: string): Expr => mk({ k: "lcmt", text });
const APP = (fn: string, ...args: V[]): Expr => mk({ k: "app", fn, args: args.map(v) });
const LAM = (head: string, body: V, nl = false): Expr => mk({ k: "lam", head, body: v(body), nl });
const LET = (binds: Entry[], body: V): Expr => mk({ k: "let", binds, body: v(body) });
const WITH = (scope: string, body: V, nl = false): Expr => mk({ k: "with", scope, body: v(body), nl });
const IF = (cond: string, yes: V, no: V): Expr => mk({ k: "if", cond, yes: v(yes), no: v(no) });
const OP = (op: string, l: V, r: V): Expr => mk({ k: "op", op, l: v(l), r: v(r) });
const SET = (entries: Entry[], nest = 0.6, rec = false): Expr => mk({ k: "set", entries, rec, nest });
const REC = (entries: Entry[], nest = 0.6): Expr => SET(entries, nest, true);

/** Splits a dotted attribute path; `"quoted.segments"` and `${dyn}` stay whole. */
function parsePath(p: string): string[] {
  const segs: string[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === '"') {
      const j = p.indexOf('"', i + 1);
      segs.push(p.slice(i + 1, j));
      i = j + 1;
    } else if (p[i] === "$" && p[i + 1] === "{") {
      const j = p.indexOf("}", i);
      segs.push(p.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < p.length && p[j] !== ".") j++;
      segs.push(p.slice(i, j));
      i = j;
    }
    if (p[i] === ".") i++;
  }
  return segs;
}

function v(x: V): Expr {
  if (x === null) return A("null");
  if (typeof x === "string") return LIT(x);
  if (typeof x === "number") return A(String(x));
  if (typeof x === "boolean") return A(x ? "true" : "false");
  if (isExpr(x)) return x;
  if (Array.isArray(x)) return mk({ k: "list", items: (x as readonly V[]).map(v) });
  return SET(Object.entries(x as { readonly [key: string]: V }).map(([key, val]) => B(key, val)));
}

/** A binding `path = value;` (path is dotted, see parsePath). */
function B(path: string | string[], value: V, comment?: string): Entry {
  return {
    k: "bind",
    path: typeof path === "string" ? parsePath(path) : path,
    value: v(value),
    comment: comment ? comment.split("\n") : [],
  };
}
const INH = (names: string[], from: string | null = null): Entry => ({ k: "inherit", from, names });
const CMT = (...lines: string[]): Entry => ({ k: "comment", lines });
/** Attribute set from a plain object (keys are dotted paths). */
const O = (o: { readonly [key: string]: V }, nest = 0.6): Expr =>
  SET(Object.entries(o).map(([key, val]) => B(key, val)), nest);

// ───────────────────────────── Renderer ─────────────────────────────

const KEYWORDS = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]);
const ID_RE = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const pad = (n: number): string => "  ".repeat(n);

function escStr(lit: string, nextIsInterp: boolean): string {
  let out = "";
  for (let i = 0; i < lit.length; i++) {
    const ch = lit[i] as string;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "$" && (lit[i + 1] === "{" || (i === lit.length - 1 && nextIsInterp))) out += "\\$";
    else out += ch;
  }
  return out;
}

function escInd(lit: string, nextIsInterp: boolean): string {
  const dollarEscaped = (j: number): boolean =>
    lit[j] === "$" && (lit[j + 1] === "{" || (j === lit.length - 1 && nextIsInterp));
  let out = "";
  for (let i = 0; i < lit.length; i++) {
    const ch = lit[i] as string;
    if (ch === "'" && lit[i + 1] === "'") {
      out += "'''";
      i++;
    } else if (ch === "'" && dollarEscaped(i + 1)) {
      out += "''\\'";
    } else if (dollarEscaped(i)) {
      out += "''$";
    } else out += ch;
  }
  return out;
}

function renderParts(parts: Part[], esc: (lit: string, nextIsInterp: boolean) => string): string {
  const merged: Part[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (typeof p === "string" && typeof last === "string") merged[merged.length - 1] = last + p;
    else merged.push(p);
  }
  let out = "";
  merged.forEach((p, idx) => {
    if (typeof p === "string") out += esc(p, typeof merged[idx + 1] === "object");
    else out += "${" + p.i + "}";
  });
  return out;
}

function keyStr(seg: string): string {
  if (ID_RE.test(seg) && !KEYWORDS.has(seg)) return seg;
  if (seg.startsWith("${") && seg.endsWith("}")) return seg;
  return '"' + renderParts(parseInterp(seg), escStr) + '"';
}

function needsParens(e: Expr): boolean {
  return e.k === "app" || e.k === "code" || e.k === "lam" || e.k === "let" || e.k === "with" || e.k === "if" || e.k === "op";
}

function wrap(e: Expr, ind: number): string {
  const s = render(e, ind);
  return needsParens(e) ? "(" + s + ")" : s;
}

/** Deterministic [0,1) from a string (layout decisions, no RNG state). */
const hashFloat = (s: string): number => hash32(s) / 4294967296;

interface TNode {
  key: string;
  leaf: Expr | null;
  kids: Map<string, TNode>;
  items: Array<TNode | Entry>;
  comment: string[];
  nest: number;
}

const stats = { conflicts: 0, paths: new Map<string, number>() };

function newNode(key: string, nest: number): TNode {
  return { key, leaf: null, kids: new Map(), items: [], comment: [], nest };
}

function isNode(x: TNode | Entry): x is TNode {
  return "kids" in x;
}

function addEntry(node: TNode, e: Entry): void {
  if (e.k === "bind") insertPath(node, e.path, e.value, e.comment);
  else node.items.push(e);
}

/** Inserts a binding; plain set values merge into the tree so `a.b = 1; a = { c = 2; };` never collide. */
function insertPath(node: TNode, path: string[], value: Expr, comment: string[]): boolean {
  let cur = node;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as string;
    let nx = cur.kids.get(seg);
    if (!nx) {
      nx = newNode(seg, cur.nest);
      cur.kids.set(seg, nx);
      cur.items.push(nx);
    } else if (nx.leaf) {
      noteConflict(path);
      return false;
    }
    cur = nx;
  }
  const last = path[path.length - 1] as string;
  let ex = cur.kids.get(last);
  if (value.k === "set" && !value.rec) {
    if (!ex) {
      ex = newNode(last, value.nest);
      cur.kids.set(last, ex);
      cur.items.push(ex);
    } else if (ex.leaf) {
      noteConflict(path);
      return false;
    }
    ex.comment.push(...comment);
    for (const sub of value.entries) addEntry(ex, sub);
    return true;
  }
  if (ex) {
    if (ex.leaf && ex.leaf.k === "list" && value.k === "list") {
      const seen = new Set(ex.leaf.items.map((i) => (i.k === "atom" || i.k === "str" ? render(i, 0) : "")));
      const fresh = value.items.filter((i) => !((i.k === "atom" || i.k === "str") && seen.has(render(i, 0))));
      ex.leaf = mk({ k: "list", items: [...ex.leaf.items, ...fresh] });
      return true;
    }
    noteConflict(path);
    return false;
  }
  ex = newNode(last, cur.nest);
  ex.leaf = value;
  ex.comment = [...comment];
  cur.kids.set(last, ex);
  cur.items.push(ex);
  return true;
}

function noteConflict(path: string[]): void {
  stats.conflicts++;
  if (process.env["CORPUS_DEBUG"]) {
    const k = path.join(".");
    stats.paths.set(k, (stats.paths.get(k) ?? 0) + 1);
  }
}

function buildTrie(entries: Entry[], nest: number): TNode {
  const root = newNode("", nest);
  for (const e of entries) addEntry(root, e);
  return root;
}

function renderExtra(e: Entry, ind: number): string {
  if (e.k === "inherit") return pad(ind) + "inherit " + (e.from ? "(" + e.from + ") " : "") + e.names.join(" ") + ";";
  if (e.k === "comment") return e.lines.map((l) => pad(ind) + (l ? "# " + l : "#")).join("\n");
  throw new Error("bind is not an extra");
}

function renderItems(node: TNode, ind: number, prefix: string[], out: string[], spaced: boolean): void {
  const n = node.items.length;
  node.items.forEach((it, idx) => {
    if (!isNode(it)) {
      out.push(renderExtra(it, ind));
      return;
    }
    const before = out.length;
    renderChild(it, ind, prefix, out);
    const multi = out.length - before > 1 || out.slice(before).some((l) => l.includes("\n"));
    if (spaced && n >= 4 && idx < n - 1 && multi) out.push("");
  });
}

function renderChild(c: TNode, ind: number, prefix: string[], out: string[]): void {
  const key = [...prefix, keyStr(c.key)];
  const k = key.join(".");
  for (const l of c.comment) out.push(pad(ind) + (l ? "# " + l : "#"));
  if (c.leaf) {
    out.push(pad(ind) + k + " = " + render(c.leaf, ind) + ";");
    return;
  }
  if (c.items.length === 0) {
    out.push(pad(ind) + k + " = { };");
    return;
  }
  const h = hashFloat(k + "|" + ind);
  let nest: boolean;
  if (c.items.some((x) => !isNode(x))) nest = true;
  else if (c.items.length === 1) nest = key.length >= 5 || h < c.nest * 0.15;
  else nest = key.length >= 4 || h < Math.min(0.97, c.nest + 0.08 * (c.items.length - 2));
  if (!nest) {
    renderItems(c, ind, key, out, false);
    return;
  }
  const inl = inlineSet(c);
  if (inl !== null && pad(ind).length + k.length + inl.length < 90) {
    out.push(pad(ind) + k + " = " + inl + ";");
    return;
  }
  out.push(pad(ind) + k + " = {");
  renderItems(c, ind + 1, [], out, true);
  out.push(pad(ind) + "};");
}

/** `{ a = 1; b = "x"; }` when a node holds at most three short scalar leaves. */
function inlineSet(node: TNode): string | null {
  if (node.items.length === 0 || node.items.length > 3) return null;
  const parts: string[] = [];
  for (const it of node.items) {
    if (!isNode(it) || !it.leaf || it.comment.length) return null;
    const lk = it.leaf.k;
    if (lk !== "atom" && lk !== "str") return null;
    parts.push(keyStr(it.key) + " = " + render(it.leaf, 0) + ";");
  }
  const s = "{ " + parts.join(" ") + " }";
  return s.length <= 60 ? s : null;
}

function renderSet(e: Extract<Expr, { k: "set" }>, ind: number): string {
  const root = buildTrie(e.entries, e.nest);
  const head = e.rec ? "rec {" : "{";
  if (root.items.length === 0) return head + " }";
  if (!e.rec) {
    const inl = inlineSet(root);
    if (inl !== null && inl.length <= 50) return inl;
  }
  const out: string[] = [];
  renderItems(root, ind + 1, [], out, true);
  return head + "\n" + out.join("\n") + "\n" + pad(ind) + "}";
}

function renderList(e: Extract<Expr, { k: "list" }>, ind: number): string {
  if (e.items.length === 0) return "[ ]";
  const hasCmt = e.items.some((i) => i.k === "lcmt");
  if (!hasCmt) {
    const parts = e.items.map((i) => wrap(i, ind + 1));
    const oneLine = parts.join(" ");
    if (!oneLine.includes("\n") && oneLine.length <= 64 && e.items.every((i) => i.k === "atom" || i.k === "str")) {
      return "[ " + oneLine + " ]";
    }
  }
  const lines = e.items.map((i) => pad(ind + 1) + (i.k === "lcmt" ? "# " + i.text : wrap(i, ind + 1)));
  return "[\n" + lines.join("\n") + "\n" + pad(ind) + "]";
}

function render(e: Expr, ind: number): string {
  switch (e.k) {
    case "atom":
    case "code":
      return e.s;
    case "str":
      return '"' + renderParts(e.parts, escStr) + '"';
    case "ind": {
      const body = e.lines
        .map((parts) => (parts.length === 0 ? "" : pad(ind + 1) + renderParts(parts, escInd)))
        .join("\n");
      return "''\n" + body + "\n" + pad(ind) + "''";
    }
    case "list":
      return renderList(e, ind);
    case "lcmt":
      return "# " + e.text;
    case "set":
      return renderSet(e, ind);
    case "app":
      return e.fn + e.args.map((a) => " " + wrap(a, ind)).join("");
    case "lam":
      return e.head + (e.nl ? "\n" + (ind === 0 ? "\n" : pad(ind)) : " ") + render(e.body, ind);
    case "let": {
      const out: string[] = [];
      renderItems(buildTrie(e.binds, 0.7), ind + 1, [], out, false);
      return "let\n" + out.join("\n") + "\n" + pad(ind) + "in\n" + pad(ind) + render(e.body, ind);
    }
    case "with":
      return "with " + e.scope + ";" + (e.nl ? "\n" + pad(ind) : " ") + render(e.body, ind);
    case "if": {
      const y = wrap(e.yes, ind + 1);
      const n = wrap(e.no, ind + 1);
      if (!y.includes("\n") && !n.includes("\n") && e.cond.length + y.length + n.length < 70) {
        return "if " + e.cond + " then " + y + " else " + n;
      }
      return "if " + e.cond + " then\n" + pad(ind + 1) + y + "\n" + pad(ind) + "else\n" + pad(ind + 1) + n;
    }
    case "op": {
      const side = (x: Expr): string => (x.k === "lam" || x.k === "let" || x.k === "with" || x.k === "if" ? "(" + render(x, ind) + ")" : render(x, ind));
      return side(e.l) + " " + e.op + " " + side(e.r);
    }
  }
}

/** Rough rendered size of some entries (for filling files up to a byte budget). */
function measure(entries: Entry[]): number {
  const out: string[] = [];
  renderItems(buildTrie(entries, 0.6), 1, [], out, false);
  let n = 0;
  for (const l of out) n += l.length + 1;
  return n;
}

/** `{ a, b, ... }:` in one of the common layouts. */
function formals(names: string[], opts: { ellipsis?: boolean; multiline?: boolean; at?: string; atFirst?: boolean } = {}): string {
  const all = opts.ellipsis ? [...names, "..."] : names;
  let body: string;
  if (opts.multiline) body = "{\n" + all.map((n) => "  " + n + ",").join("\n").replace(/,$/, n0(all)) + "\n}";
  else body = "{ " + all.join(", ") + " }";
  if (opts.at) body = opts.atFirst ? opts.at + "@" + body : body + "@" + opts.at;
  return body + ":";
}
/** Trailing comma after `...` is not allowed; after a name it is (nixfmt style). */
function n0(all: string[]): string {
  return all[all.length - 1] === "..." ? "" : ",";
}

// ───────────────────────────── Vocabulary ─────────────────────────────

const HOST_WORDS = [
  "atlas", "hermes", "apollo", "ares", "athena", "boreas", "calypso", "ceres", "chronos", "demeter", "dione", "eos",
  "gaia", "helios", "hera", "hyperion", "iris", "janus", "juno", "kronos", "leto", "maia", "nyx", "oberon", "orion",
  "pallas", "phoebe", "rhea", "selene", "tethys", "titan", "triton", "vesta", "zephyr", "ash", "birch", "cedar",
  "elm", "fir", "hazel", "juniper", "larch", "maple", "oak", "pine", "rowan", "spruce", "willow", "yew", "basalt",
  "cobalt", "flint", "garnet", "granite", "jade", "jasper", "onyx", "quartz", "slate", "topaz", "falcon", "heron",
  "kestrel", "magpie", "osprey", "raven", "swift", "wren", "lynx", "otter", "badger", "marten", "io", "europa",
  "ganymede", "callisto", "tarvos", "umbriel", "ariel", "miranda", "puck", "mimas",
];
const ROLES = ["web", "db", "cache", "edge", "build", "ci", "mon", "log", "mail", "vpn", "gw", "nas", "backup", "worker", "k3s", "proxy", "dns", "git", "media", "lb"] as const;
type Role = (typeof ROLES)[number];
const REGIONS = ["fra1", "ams3", "hel1", "nbg1", "lon1", "par2", "waw1", "sto2", "use1", "euw2", "sgp1", "tor1"];
const FIRST = [
  "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "kim", "leo", "mia", "noah",
  "olga", "paul", "quinn", "rosa", "sam", "tara", "uma", "vik", "wes", "xena", "yuri", "zoe", "mkr", "jdoe", "fmu",
  "lk", "tpw", "hsch", "ana", "bjorn", "chen", "dmitri", "elif", "fatima", "goran", "hana", "ines", "jonas", "kai",
  "lena", "mateo", "nora", "oskar", "priya", "rahel", "sven", "timo", "ulla", "vera", "wiebke", "yara",
];
const SURNAMES = [
  "Smith", "Müller", "Østergaard", "Nguyễn", "Kowalski", "O'Brien", "García", "Schmidt", "Rossi", "Dubois",
  "Jansen", "Novák", "Svensson", "Yılmaz", "Tanaka", "Kim", "Silva", "Andersen", "Nowak", "Virtanen", "Horváth",
  "Popescu", "Papadopoulos", "Fischer", "de Vries", "Lefèvre", "Ivanova", "Björk", "Zhang", "Okafor",
];
const ORGS = [
  "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wonka", "stark", "tyrell", "cyberdyne", "soylent",
  "aperture", "blackmesa", "nakatomi", "oscorp", "wayne", "monarch", "gringotts", "dunder", "piedpiper", "zorg",
  "massive", "kiwi", "polar", "northwind", "contoso", "fabrikam", "tailspin", "lumon", "sirius", "nimbus", "quanta",
  "helix", "vortex", "ember", "lattice", "meridian", "orbital", "prism", "sable", "tundra", "zenith", "arbor",
  "corvid", "drift", "fjord", "harbor", "kelp", "lichen", "moss", "nova", "pebble", "quill", "ridge", "summit",
];
const TLDS = ["com", "net", "org", "io", "dev", "de", "eu", "nl", "fr", "se", "fi", "ch", "cloud", "systems"];
const APP_WORDS = [
  "ledger", "beacon", "relay", "inventory", "billing", "tiles", "hooks", "metrics", "paste", "wiki", "search",
  "auth", "gateway", "scheduler", "notifier", "ingest", "export", "render", "thumbs", "mailer", "tracker", "sync",
  "status", "catalog", "orders", "payments", "reports", "chat", "feeds", "webhooks", "uploader", "transcoder",
  "indexer", "crawler", "shortener", "dashboard", "registry", "mirror", "pipeline", "queue", "ticketing", "geoip",
  "ratelimit", "audit", "ledgerd", "importer", "pricing", "fleetctl", "probe", "vault-agent", "signer",
];
const APP_SUFFIX = ["api", "svc", "worker", "daemon", "server", "agent", "proxy", "bridge", "exporter", "web", "bot", "runner", ""];
const PKGS = [
  "git", "vim", "neovim", "htop", "btop", "curl", "wget", "jq", "yq-go", "ripgrep", "fd", "tmux", "rsync", "tree",
  "file", "lsof", "strace", "tcpdump", "dig", "whois", "mtr", "iperf3", "nmap", "unzip", "zip", "p7zip", "gnupg",
  "age", "sops", "ncdu", "du-dust", "bat", "eza", "fzf", "direnv", "nix-tree", "nix-output-monitor", "nvd",
  "pciutils", "usbutils", "smartmontools", "iotop", "sysstat", "ethtool", "bridge-utils", "wireguard-tools",
  "openssl", "python3", "nodejs_20", "go", "gcc", "gnumake", "cmake", "pkg-config", "sqlite", "redis",
  "docker-compose", "kubectl", "kubernetes-helm", "k9s", "terraform", "ansible", "awscli2", "restic", "borgbackup",
  "rclone", "ffmpeg", "imagemagick", "pandoc", "hugo", "shellcheck", "nixfmt-rfc-style", "alejandra", "deadnix",
  "statix", "nil", "nixd", "bind", "inetutils", "socat", "helix", "zsh", "fish", "starship", "zoxide", "atuin",
  "gh", "git-lfs", "delta", "lazygit", "tig", "just", "watchexec", "entr", "hyperfine", "tokei", "pv", "parallel",
  "moreutils", "iproute2", "nftables", "conntrack-tools", "ipset", "cryptsetup", "lvm2", "btrfs-progs",
  "e2fsprogs", "dosfstools", "parted", "gptfdisk", "efibootmgr", "mdadm", "hdparm", "nvme-cli", "lm_sensors",
];
const LICENSES = ["mit", "asl20", "gpl3Plus", "gpl2Only", "bsd3", "mpl20", "agpl3Only", "isc", "lgpl21Plus", "unfree"];
const LOCALES = ["en_US.UTF-8", "en_GB.UTF-8", "de_DE.UTF-8", "fr_FR.UTF-8", "nl_NL.UTF-8", "sv_SE.UTF-8", "fi_FI.UTF-8"];
const TIMEZONES = ["UTC", "Europe/Berlin", "Europe/Amsterdam", "Europe/Helsinki", "Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Paris"];
const RELEASES = ["22.11", "23.05", "23.11", "24.05", "24.11", "25.05"];
const CACHES: Array<[string, string]> = [
  ["https://nix-community.cachix.org", "nix-community.cachix.org-1:mB9FSh9qf2dCimDSUo8Zy7bkq5CX+/rkCWyvRCYg3Fs="],
  ["https://cache.garnix.io", "cache.garnix.io:CTFPyKSLcx5RMJKfLo5EEPUObbA78b0YQ2DTCJXqr9g="],
  ["https://numtide.cachix.org", "numtide.cachix.org-1:2ps1kLBUWjxIneOy1Ik6cQjb41X0iXVXeHigGmycPPE="],
  ["https://devenv.cachix.org", "devenv.cachix.org-1:w1cLUi8dv3hnoSPGAuibQv+f9TZLr6cv/Hm9XgU50cw="],
  ["https://hyprland.cachix.org", "hyprland.cachix.org-1:a7pgxzMz7+chwVL3/pzj6jIBMioiJM7ypFP8PwtkuGc="],
];
const NIXOS_CACHE_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// ───────────────────────── Key material (fake, public-shaped) ─────────────────────────

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length, 0);
  return Buffer.concat([len, b]);
}

function sshEd25519(rng: Rng, comment: string): string {
  const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(rng.bytes(32))]);
  return "ssh-ed25519 " + blob.toString("base64") + (comment ? " " + comment : "");
}

function sshRsa(rng: Rng, comment: string): string {
  const mod = rng.bytes(513);
  mod[0] = 0;
  mod[1] = (mod[1] as number) | 0x80;
  const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), sshString(Buffer.from([1, 0, 1])), sshString(mod)]);
  return "ssh-rsa " + blob.toString("base64") + (comment ? " " + comment : "");
}

const wgKey = (rng: Rng): string => rng.bytes(32).toString("base64");
const sri = (rng: Rng): string => "sha256-" + rng.bytes(32).toString("base64");
const nix32 = (rng: Rng): string => rng.chars(NIX32, 52);
const uuid = (rng: Rng): string => `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.pick(["8", "9", "a", "b"])}${rng.hex(3)}-${rng.hex(12)}`;
const version = (rng: Rng): string => `${rng.int(0, 4)}.${rng.int(0, 30)}.${rng.int(0, 12)}`;

let crcTable: Uint32Array | null = null;
function crc32(s: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < s.length; i++) crc = (crcTable[(crc ^ s.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(n: number, width: number): string {
  let s = "";
  while (n > 0) {
    s = B62[n % 62] + s;
    n = Math.floor(n / 62);
  }
  return s.padStart(width, "0");
}

// ───────────────────────────── Fleet model ─────────────────────────────

interface User {
  name: string;
  full: string;
  uid: number;
  keys: string[];
  admin: boolean;
  email: string;
  shell: "zsh" | "bash" | "fish";
}

interface App {
  name: string;
  port: number;
  lang: "go" | "rust" | "python" | "node" | "c" | "shell";
  owner: string;
  repo: string;
  version: string;
  ns: string; // option namespace, e.g. services or acme.services
}

interface Host {
  name: string;
  role: Role;
  system: "x86_64-linux" | "aarch64-linux";
  ip: string;
  wgIp: string;
  wgPub: string;
  disk: string;
  fs: "ext4" | "btrfs" | "zfs" | "xfs";
  iface: string;
  apps: App[];
  hostKey: string;
  boot: "systemd-boot" | "grub";
  disko: boolean;
}

interface Fleet {
  id: number;
  dir: string;
  org: string;
  domain: string;
  description: string;
  release: string;
  hosts: Host[];
  users: User[];
  apps: App[];
  secrets: "sops" | "agenix" | "files";
  deploy: "deploy-rs" | "colmena" | "comin" | "none";
  hm: boolean;
  withLib: number;
  nest: number;
  wgNet: number;
  wgPort: number;
  caches: Array<[string, string]>;
  optNs: string;
  layout: "flat" | "nested";
}

function makeFleet(rng: Rng, id: number): Fleet {
  const org = rng.pick(ORGS) + (rng.chance(0.3) ? "-" + rng.pick(["labs", "ops", "infra", "cloud", "hq", "net"]) : "");
  const domain = `${org.replace(/-/g, "")}.${rng.pick(TLDS)}`;
  const users: User[] = [];
  const nUsers = rng.int(1, 7);
  for (const name of rng.sample(FIRST, nUsers)) {
    const keys: string[] = [];
    const nk = rng.int(1, 3);
    for (let i = 0; i < nk; i++) {
      const cm = `${name}@${rng.pick(["laptop", "desktop", "yubikey", "work", "phone", "t14", "mbp"])}`;
      keys.push(rng.chance(0.85) ? sshEd25519(rng, cm) : sshRsa(rng, cm));
    }
    const full = name[0]!.toUpperCase() + name.slice(1) + " " + rng.pick(SURNAMES);
    users.push({ name, full, uid: 1000 + users.length, keys, admin: users.length === 0 || rng.chance(0.4), email: `${name}@${domain}`, shell: rng.pick(["zsh", "zsh", "bash", "fish"] as const) });
  }
  const apps: App[] = [];
  const nApps = rng.int(1, 6);
  const optNs = rng.chance(0.5) ? "services" : `${org.replace(/-.*/, "")}.services`;
  const usedApp = new Set<string>();
  for (let i = 0; i < nApps; i++) {
    let name = rng.pick(APP_WORDS);
    const suf = rng.pick(APP_SUFFIX);
    if (suf) name += "-" + suf;
    if (usedApp.has(name)) continue;
    usedApp.add(name);
    apps.push({
      name,
      port: rng.int(30, 99) * 100 + rng.int(0, 99),
      lang: rng.pick(["go", "go", "rust", "python", "node", "c", "shell"] as const),
      owner: rng.chance(0.6) ? org.replace(/-.*/, "") : rng.pick(FIRST),
      repo: name,
      version: version(rng),
      ns: optNs,
    });
  }
  const hosts: Host[] = [];
  const nHosts = Math.round(rng.logUniform(2, 14));
  const usedHost = new Set<string>();
  const hostStyle = rng.int(0, 2);
  const wgNet = rng.int(1, 250);
  for (let i = 0; i < nHosts; i++) {
    const role = rng.pick(ROLES);
    let name: string;
    if (hostStyle === 0) name = rng.pick(HOST_WORDS);
    else if (hostStyle === 1) name = `${role}-${String(i + 1).padStart(2, "0")}`;
    else name = `${role}-${rng.pick(REGIONS)}-${rng.int(1, 9)}`;
    if (usedHost.has(name)) continue;
    usedHost.add(name);
    const fs = rng.pick(["ext4", "ext4", "btrfs", "zfs", "xfs"] as const);
    hosts.push({
      name,
      role,
      system: rng.chance(0.8) ? "x86_64-linux" : "aarch64-linux",
      ip: `${rng.pick(["10.0", "10.1", "192.168", "172.16"])}.${rng.int(0, 40)}.${rng.int(2, 250)}`,
      wgIp: `10.${wgNet}.0.${hosts.length + 1}`,
      wgPub: wgKey(rng),
      disk: rng.pick(["/dev/nvme0n1", "/dev/sda", "/dev/vda", "/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R" + rng.hex(6).toUpperCase()]),
      fs,
      iface: rng.pick(["eth0", "ens3", "enp1s0", "enp3s0", "eno1", "enp0s31f6", "ens18"]),
      apps: rng.sample(apps, rng.int(0, Math.min(3, apps.length))),
      hostKey: sshEd25519(rng, ""),
      boot: rng.chance(0.6) ? "systemd-boot" : "grub",
      disko: rng.chance(0.35),
    });
  }
  return {
    id,
    dir: `fleet-${String(id).padStart(4, "0")}-${org}`,
    org,
    domain,
    description: rng.pick([`${org} NixOS fleet`, `NixOS configurations for ${domain}`, `Infrastructure for ${org}`, `${org}'s servers and workstations`, "My NixOS configs", `${domain} hosts`]),
    release: rng.pick(RELEASES),
    hosts,
    users,
    apps,
    secrets: rng.pick(["sops", "sops", "agenix", "files"] as const),
    deploy: rng.pick(["deploy-rs", "colmena", "comin", "none", "none"] as const),
    hm: rng.chance(0.55),
    withLib: rng.pick([0, 0.2, 0.5, 0.9]),
    nest: rng.pick([0.3, 0.5, 0.7, 0.9]),
    wgNet,
    wgPort: rng.pick([51820, 51820, 51821, 41641, 51871]),
    caches: rng.sample(CACHES, rng.int(0, 3)),
    optNs,
    layout: rng.chance(0.5) ? "flat" : "nested",
  };
}

/** Everything a file generator needs. `rng` is private to the file. */
interface Ctx {
  rng: Rng;
  fleet: Fleet;
  host: Host | null;
  path: string;
  used: Set<string>;
  /** How this file reaches lib functions: `with lib;`, `inherit (lib) ...;` or `lib.x`. */
  libStyle: "with" | "inherit" | "qualified";
  libNames: Set<string>;
}

function uniq(c: Ctx, base: string): string {
  let name = base;
  for (let i = 2; c.used.has(name); i++) name = `${base}-${i}`;
  c.used.add(name);
  return name;
}

const quoteKey = (seg: string): string => keyStr(seg);

/** Reference to a decrypted secret's path, in the fleet's secrets style. */
function secretRef(c: Ctx, name: string): Expr {
  switch (c.fleet.secrets) {
    case "sops":
      return A(`config.sops.secrets.${quoteKey(name)}.path`);
    case "agenix":
      return A(`config.age.secrets.${quoteKey(name.replace(/\//g, "-"))}.path`);
    case "files":
      return LIT(c.rng.pick(["/run/secrets/", "/var/lib/secrets/", "/etc/secrets/"]) + name.replace(/\//g, "-"));
  }
}

/** The secret's path for use inside a string template (`%{...}` or a literal path). */
function secretInterp(c: Ctx, name: string): string {
  const ref = secretRef(c, name);
  if (ref.k === "str") return ref.parts.map((p) => (typeof p === "string" ? p : `%{${p.i}}`)).join("");
  return `%{${render(ref, 0)}}`;
}

function secretDecl(c: Ctx, name: string, owner: string | null, unit: string | null): Entry[] {
  const f = c.fleet;
  if (f.secrets === "sops") {
    const o: Record<string, V> = {};
    if (owner) o["owner"] = owner;
    if (c.rng.chance(0.4)) o["mode"] = c.rng.pick(["0400", "0440", "0600"]);
    if (unit && c.rng.chance(0.5)) o["restartUnits"] = [unit];
    if (c.rng.chance(0.15)) o["sopsFile"] = A(`../../secrets/${c.rng.pick(["common", "shared", c.host?.name ?? "common"])}.yaml`);
    return [B(["sops", "secrets", name], O(o, 0.9))];
  }
  if (f.secrets === "agenix") {
    const key = name.replace(/\//g, "-");
    const o: Record<string, V> = { file: A(`../../secrets/${key}.age`) };
    if (owner) o["owner"] = owner;
    if (c.rng.chance(0.4)) o["mode"] = c.rng.pick(["0400", "0440"]);
    return [B(["age", "secrets", key], O(o, 0.9))];
  }
  return [];
}

/** A lib function name as this file spells it. */
function lf(c: Ctx, fn: string): string {
  if (c.libStyle === "qualified") return `lib.${fn}`;
  c.libNames.add(fn);
  return fn;
}

// ───────────────────────────── Config sections ─────────────────────────────

type Section = (c: Ctx) => Entry[];

const secBoot: Section = (c) => {
  const r = c.rng;
  const h = c.host;
  const e: Entry[] = [];
  if (!h || h.boot === "systemd-boot") {
    e.push(B("boot.loader.systemd-boot.enable", true));
    e.push(B("boot.loader.efi.canTouchEfiVariables", true));
    if (r.chance(0.4)) e.push(B("boot.loader.systemd-boot.configurationLimit", r.pick([5, 10, 20])));
  } else {
    e.push(B("boot.loader.grub", O({ enable: true, device: h.disk.startsWith("/dev/disk") ? h.disk : h.disk, ...(r.chance(0.4) ? { efiSupport: true, efiInstallAsRemovable: true } : {}) })));
  }
  if (r.chance(0.5)) e.push(B("boot.kernelPackages", A(r.pick(["pkgs.linuxPackages_latest", "pkgs.linuxPackages_6_6", "pkgs.linuxPackages_hardened", "config.boot.zfs.package.latestCompatibleLinuxPackages"]))));
  if (r.chance(0.5)) e.push(B("boot.kernelParams", r.sample(["console=ttyS0,115200", "console=tty1", "nohibernate", "mitigations=auto", "zfs.zfs_arc_max=4294967296", "intel_iommu=on", "iommu=pt", "quiet", "loglevel=3"], r.int(1, 4))));
  if (r.chance(0.6)) {
    const sysctl: Entry[] = [];
    for (const [k, val] of r.sample<[string, V]>([
      ["net.ipv4.ip_forward", 1], ["net.ipv6.conf.all.forwarding", 1], ["net.core.rmem_max", 7500000], ["net.core.wmem_max", 7500000],
      ["vm.swappiness", 10], ["fs.inotify.max_user_watches", 524288], ["net.ipv4.tcp_congestion_control", "bbr"], ["net.core.default_qdisc", "fq"],
      ["kernel.kptr_restrict", 2], ["net.ipv4.conf.all.rp_filter", 1], ["vm.max_map_count", 262144],
    ], r.int(1, 5))) sysctl.push(B([k], val));
    e.push(B("boot.kernel.sysctl", SET(sysctl)));
  }
  if (r.chance(0.3)) e.push(B("boot.tmp.cleanOnBoot", true));
  if (h?.fs === "zfs") e.push(B("boot.supportedFilesystems", ["zfs"]), B("boot.zfs.forceImportRoot", false), B("networking.hostId", r.hex(8)));
  if (r.chance(0.25)) e.push(B("boot.initrd.network", O({ enable: true, "ssh.enable": true, "ssh.port": 2222, "ssh.hostKeys": [LIT("/etc/secrets/initrd/ssh_host_ed25519_key")], "ssh.authorizedKeys": A("config.users.users.root.openssh.authorizedKeys.keys") }), "unlock LUKS over SSH"));
  return e;
};

const secNetworking: Section = (c) => {
  const r = c.rng;
  const h = c.host;
  const f = c.fleet;
  const e: Entry[] = [];
  if (h) e.push(B("networking.hostName", h.name));
  if (r.chance(0.5)) e.push(B("networking.domain", f.domain));
  if (h && r.chance(0.6)) {
    const [a, b, cc] = h.ip.split(".");
    e.push(B("networking.useDHCP", false));
    e.push(B(["networking", "interfaces", h.iface, "ipv4", "addresses"], L(O({ address: h.ip, prefixLength: r.pick([24, 24, 16, 26]) }))));
    if (r.chance(0.4)) e.push(B(["networking", "interfaces", h.iface, "ipv6", "addresses"], L(O({ address: `2a01:4f8:${r.hex(4)}:${r.hex(4)}::${r.int(1, 9)}`, prefixLength: 64 }))));
    e.push(B("networking.defaultGateway", r.chance(0.5) ? `${a}.${b}.${cc}.1` : O({ address: `${a}.${b}.${cc}.1`, interface: h.iface })));
    e.push(B("networking.nameservers", r.sample(["1.1.1.1", "9.9.9.9", "8.8.8.8", "2606:4700:4700::1111", "149.112.112.112", `${a}.${b}.${cc}.1`], r.int(1, 3))));
  } else if (r.chance(0.3)) {
    e.push(B("networking.useNetworkd", true));
    e.push(B(["systemd", "network", "networks", `10-${h?.iface ?? "eth0"}`], O({ "matchConfig.Name": h?.iface ?? "eth0", "networkConfig.DHCP": "ipv4", "networkConfig.IPv6AcceptRA": true, "linkConfig.RequiredForOnline": "routable" })));
  }
  const tcp = [22, ...r.sample([80, 443, 8080, 3000, 9090, 25, 587, 993, 5432, 6443, 10250, 9100], r.int(0, 4))];
  const fw: Entry[] = [B("enable", true), B("allowedTCPPorts", L(...tcp))];
  if (r.chance(0.5)) fw.push(B("allowedUDPPorts", L(...r.sample([f.wgPort, 53, 123, 443, 3478, 41641], r.int(1, 3)))));
  if (r.chance(0.3)) fw.push(B("allowedTCPPortRanges", L(O({ from: 30000, to: 30100 }))));
  if (r.chance(0.4)) fw.push(B("trustedInterfaces", r.sample(["wg0", "tailscale0", "lo", "docker0", "cni0"], r.int(1, 2))));
  if (r.chance(0.3)) fw.push(B("logRefusedConnections", false));
  if (r.chance(0.25)) {
    fw.push(B("extraCommands", IND([
      `iptables -A nixos-fw -p tcp --source ${f.wgNet === 1 ? "10.1.0.0" : `10.${f.wgNet}.0.0`}/24 --dport 9100 -j nixos-fw-accept`,
      `iptables -A nixos-fw -p tcp --source ${h?.ip ?? "10.0.0.1"}/32 --dport 5432 -j nixos-fw-accept`,
      r.chance(0.5) ? "ip6tables -A nixos-fw -p udp --dport 5353 -j nixos-fw-accept" : "# allow mDNS only on the LAN",
    ])));
    fw.push(B("extraStopCommands", IND(["iptables -D nixos-fw -p tcp --dport 9100 -j nixos-fw-accept || true"])));
  }
  e.push(B("networking.firewall", SET(fw, f.nest)));
  if (r.chance(0.2)) e.push(B("networking.extraHosts", IND(f.hosts.slice(0, 6).map((x) => `${x.wgIp} ${x.name} ${x.name}.${f.domain}`))));
  if (r.chance(0.2)) e.push(B("networking.nat", O({ enable: true, externalInterface: h?.iface ?? "eth0", internalInterfaces: ["wg0"] })));
  return e;
};

const secLocale: Section = (c) => {
  const r = c.rng;
  const e: Entry[] = [B("time.timeZone", r.pick(TIMEZONES)), B("i18n.defaultLocale", r.pick(LOCALES))];
  if (r.chance(0.4)) e.push(B("i18n.extraLocaleSettings", O({ LC_TIME: r.pick(LOCALES), LC_MONETARY: r.pick(LOCALES), LC_MEASUREMENT: r.pick(LOCALES) })));
  if (r.chance(0.4)) e.push(B("console.keyMap", r.pick(["us", "de", "fr", "uk", "nl", "sv-latin1"])));
  return e;
};

const secSsh: Section = (c) => {
  const r = c.rng;
  const o: Record<string, V> = {
    enable: true,
    "settings.PasswordAuthentication": false,
    "settings.KbdInteractiveAuthentication": false,
    "settings.PermitRootLogin": r.pick(["prohibit-password", "no", "prohibit-password"]),
  };
  if (r.chance(0.3)) o["ports"] = [r.pick([22, 2222, 22022])];
  if (r.chance(0.3)) o["openFirewall"] = r.chance(0.8);
  if (r.chance(0.4)) o["hostKeys"] = [O({ path: "/etc/ssh/ssh_host_ed25519_key", type: "ed25519" })];
  if (r.chance(0.25)) o["extraConfig"] = IND(["AllowTcpForwarding yes", "X11Forwarding no", "AllowAgentForwarding no", "AllowStreamLocalForwarding no", "AuthenticationMethods publickey"]);
  if (r.chance(0.3)) o["settings.KexAlgorithms"] = ["curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512@openssh.com"];
  const e = [B("services.openssh", O(o, c.fleet.nest))];
  if (r.chance(0.3)) e.push(B("programs.ssh.knownHosts", SET(c.fleet.hosts.slice(0, r.int(1, 5)).map((h) => B([h.name], O({ hostNames: [h.name, `${h.name}.${c.fleet.domain}`, h.wgIp], publicKey: h.hostKey }, 0.9))))));
  return e;
};

const secNix: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const subs = ["https://cache.nixos.org", ...f.caches.map(([u]) => u)];
  const keys = [NIXOS_CACHE_KEY, ...f.caches.map(([, k]) => k)];
  const s: Entry[] = [B("experimental-features", r.chance(0.8) ? L("nix-command", "flakes") : "nix-command flakes")];
  if (r.chance(0.75)) {
    if (r.chance(0.5)) {
      s.push(B("substituters", L(...subs)), B("trusted-public-keys", L(...keys)));
    } else if (f.caches.length) {
      s.push(B("extra-substituters", L(...subs.slice(1))), B("extra-trusted-public-keys", L(...keys.slice(1))));
    }
  }
  s.push(B("trusted-users", r.sample(["root", "@wheel", f.users[0]?.name ?? "root", "deploy"], r.int(1, 3))));
  if (r.chance(0.6)) s.push(B("auto-optimise-store", true));
  if (r.chance(0.3)) s.push(B("max-jobs", r.chance(0.5) ? A("\"auto\"") : A(String(r.int(2, 16)))));
  if (r.chance(0.2)) s.push(B("sandbox", true));
  if (r.chance(0.25)) s.push(B("connect-timeout", 5), B("fallback", true));
  if (r.chance(0.15)) s.push(B("require-sigs", true));
  const e: Entry[] = [B("nix.settings", SET(s, 0.85))];
  if (r.chance(0.7)) e.push(B("nix.gc", O({ automatic: true, dates: r.pick(["weekly", "daily", "Sun 03:15"]), options: `--delete-older-than ${r.pick([7, 14, 30, 60])}d` })));
  if (r.chance(0.3)) e.push(B("nix.optimise.automatic", true));
  if (r.chance(0.4)) e.push(B("nix.registry.nixpkgs.flake", A("inputs.nixpkgs")));
  if (r.chance(0.3)) e.push(B("nix.nixPath", L(S("nixpkgs=%{inputs.nixpkgs}"))));
  if (r.chance(0.2)) e.push(B("nix.extraOptions", IND(["keep-outputs = true", "keep-derivations = true", `min-free = ${r.int(1, 8) * 1073741824}`])));
  if (r.chance(0.15)) {
    e.push(B("nix.distributedBuilds", true));
    e.push(B("nix.buildMachines", L(...f.hosts.slice(0, r.int(1, 3)).map((h) => O({ hostName: `${h.name}.${f.domain}`, system: h.system, sshUser: "nixbuild", sshKey: "/root/.ssh/nixbuild", maxJobs: r.int(2, 16), speedFactor: r.int(1, 4), supportedFeatures: ["nixos-test", "benchmark", "big-parallel", "kvm"] })))));
  }
  return e;
};

const secUsers: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = [];
  if (r.chance(0.6)) e.push(B("users.mutableUsers", false));
  for (const u of f.users) {
    const o: Record<string, V> = { isNormalUser: true, description: u.full };
    if (r.chance(0.6)) o["uid"] = u.uid;
    const groups = [...(u.admin ? ["wheel"] : []), ...r.sample(["networkmanager", "docker", "video", "audio", "libvirtd", "systemd-journal", "podman", "dialout", "input"], r.int(0, 3))];
    o["extraGroups"] = groups;
    if (u.shell !== "bash") o["shell"] = A(`pkgs.${u.shell}`);
    if (r.chance(0.35)) o["openssh.authorizedKeys.keyFiles"] = [A(`./keys/${u.name}.pub`)];
    else o["openssh.authorizedKeys.keys"] = u.keys;
    if (r.chance(0.5) && f.secrets !== "files") o["hashedPasswordFile"] = secretRef(c, `users/${u.name}/password`);
    e.push(B(["users", "users", u.name], O(o, 0.9)));
  }
  if (r.chance(0.5)) e.push(B("users.users.root.openssh.authorizedKeys.keys", L(...f.users.filter((u) => u.admin).flatMap((u) => u.keys.slice(0, 1)))));
  if (r.chance(0.3)) e.push(B("users.users.deploy", O({ isSystemUser: true, group: "deploy", shell: A("pkgs.bash"), "openssh.authorizedKeys.keys": [sshEd25519(r, "deploy@ci")] })), B("users.groups.deploy", O({})));
  if (r.chance(0.5)) e.push(B("security.sudo.wheelNeedsPassword", r.chance(0.5)));
  if (r.chance(0.2)) e.push(B("security.sudo.extraRules", L(O({ users: ["deploy"], commands: [O({ command: "/run/current-system/sw/bin/nixos-rebuild", options: ["NOPASSWD"] }), O({ command: "/run/current-system/sw/bin/systemctl", options: ["NOPASSWD"] })] }))));
  return e;
};

const secPackages: Section = (c) => {
  const r = c.rng;
  const names = r.sample(PKGS, Math.round(r.logUniform(3, 40)));
  if (r.chance(0.3)) names.push(`inputs.${r.pick(["agenix", "deploy-rs", "nixpkgs-unstable"])}.packages.\${pkgs.system}.default`);
  const items = names.map((n) => A(n.startsWith("inputs.") ? n : n));
  const e: Entry[] = [];
  if (r.chance(0.75)) e.push(B("environment.systemPackages", WITH("pkgs", mk({ k: "list", items }))));
  else e.push(B("environment.systemPackages", mk({ k: "list", items: names.map((n) => A(n.startsWith("inputs.") ? n : `pkgs.${n}`)) })));
  if (r.chance(0.3)) e.push(B("programs.zsh.enable", true));
  if (r.chance(0.2)) e.push(B("programs.mosh.enable", true));
  if (r.chance(0.25)) e.push(B("environment.variables", O({ EDITOR: r.pick(["vim", "nvim", "hx"]), PAGER: "less -R" })));
  if (r.chance(0.2)) e.push(B("environment.shellAliases", O({ ll: "ls -alh", gs: "git status", rebuild: `sudo nixos-rebuild switch --flake /etc/nixos#${c.host?.name ?? "default"}` })));
  return e;
};

function proxyLocation(c: Ctx, port: string | number, extra: boolean): Expr {
  const r = c.rng;
  const o: Record<string, V> = { proxyPass: typeof port === "number" ? `http://127.0.0.1:${port}` : S(`http://127.0.0.1:%{toString ${port}}`) };
  if (r.chance(0.5)) o["proxyWebsockets"] = true;
  if (extra && r.chance(0.6)) {
    o["extraConfig"] = IND(r.sample([
      "proxy_read_timeout 300s;",
      "proxy_send_timeout 300s;",
      "client_max_body_size 512M;",
      "proxy_buffering off;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Real-IP $remote_addr;",
      "add_header Strict-Transport-Security \"max-age=63072000\" always;",
      "add_header X-Content-Type-Options nosniff;",
      "limit_req zone=api burst=20 nodelay;",
    ], r.int(1, 4)));
  }
  return O(o, 0.8);
}

const secNginx: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const h = c.host;
  const vhosts: Entry[] = [];
  const apps = h?.apps.length ? h.apps : r.sample(f.apps, 1);
  const n = r.int(1, 5);
  for (let i = 0; i < n; i++) {
    const app = apps[i % Math.max(1, apps.length)];
    const sub = uniq(c, app ? app.name.split("-")[0]! : r.pick(["www", "status", "grafana", "git", "cloud", "files", "auth"]));
    const host = `${sub}.${f.domain}`;
    const vh: Entry[] = [];
    if (r.chance(0.8)) vh.push(B("forceSSL", true), B("enableACME", r.chance(0.8)));
    if (r.chance(0.2)) vh.push(B("http2", true));
    if (r.chance(0.2)) vh.push(B("serverAliases", [`www.${host}`]));
    const port = app?.port ?? r.int(3000, 9999);
    vh.push(B(["locations", "/"], proxyLocation(c, port, true)));
    if (r.chance(0.4)) vh.push(B(["locations", "/metrics"], O({ extraConfig: IND(["allow 127.0.0.1;", `allow 10.${f.wgNet}.0.0/24;`, "deny all;"]) })));
    if (r.chance(0.3)) vh.push(B(["locations", "/static/"], O({ alias: `/var/lib/${app?.name ?? "www"}/static/`, extraConfig: IND(["expires 30d;", "access_log off;"]) })));
    if (r.chance(0.2)) vh.push(B(["locations", "= /robots.txt"], O({ return: "200 \"User-agent: *\\nDisallow: /\\n\"" })));
    if (r.chance(0.2)) vh.push(B("basicAuthFile", secretRef(c, `nginx/${sub}-htpasswd`)));
    vhosts.push(B([host], SET(vh, f.nest)));
  }
  if (r.chance(0.3)) vhosts.push(B(["_"], O({ default: true, rejectSSL: true, 'locations."/".return': "444" })));
  const o: Entry[] = [B("enable", true), B("virtualHosts", SET(vhosts, f.nest))];
  for (const k of r.sample(["recommendedProxySettings", "recommendedTlsSettings", "recommendedGzipSettings", "recommendedOptimisation", "recommendedBrotliSettings"], r.int(1, 5))) o.splice(1, 0, B(k, true));
  if (r.chance(0.3)) o.push(B("appendHttpConfig", IND(["limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;", "map $http_upgrade $connection_upgrade {", "  default upgrade;", "  '' close;", "}"])));
  if (r.chance(0.2)) o.push(B("statusPage", true));
  const e = [B("services.nginx", SET(o, f.nest))];
  if (r.chance(0.8)) e.push(B("security.acme", O({ acceptTerms: true, "defaults.email": `${r.pick(["ops", "admin", "hostmaster", "letsencrypt"])}@${f.domain}`, ...(r.chance(0.3) ? { "defaults.dnsProvider": r.pick(["cloudflare", "hetzner", "route53"]), "defaults.environmentFile": secretRef(c, "acme/dns") } : {}) })));
  e.push(B("networking.firewall.allowedTCPPorts", L(80, 443)));
  return e;
};

const secPostgres: Section = (c) => {
  const r = c.rng;
  const dbs = r.sample(c.fleet.apps.map((a) => a.name.replace(/-/g, "_")), r.int(1, 4));
  if (!dbs.length) dbs.push("app");
  const o: Entry[] = [
    B("enable", true),
    B("package", A(`pkgs.postgresql_${r.pick([14, 15, 16, 17])}`)),
    B("ensureDatabases", L(...dbs)),
    B("ensureUsers", L(...dbs.map((d) => O({ name: d, ensureDBOwnership: true })))),
  ];
  if (r.chance(0.5)) o.push(B("settings", O({ shared_buffers: `${r.pick([256, 512, 1024, 4096])}MB`, max_connections: r.pick([100, 200, 500]), work_mem: "16MB", log_min_duration_statement: r.pick([250, 500, 1000]) })));
  if (r.chance(0.4)) o.push(B("authentication", APP(lf(c, "mkForce"), IND(["# type database DBuser origin-address auth-method", "local all      all                   peer", "host  all      all  127.0.0.1/32     scram-sha-256", `host  all      all  10.${c.fleet.wgNet}.0.0/24   scram-sha-256`]))));
  if (r.chance(0.3)) o.push(B("initialScript", APP("pkgs.writeText", "init.sql", IND([...dbs.map((d) => `GRANT ALL PRIVILEGES ON DATABASE ${d} TO ${d};`)]))));
  const e = [B("services.postgresql", SET(o, c.fleet.nest))];
  if (r.chance(0.5)) e.push(B("services.postgresqlBackup", O({ enable: true, databases: dbs, startAt: "*-*-* 02:15:00", location: "/var/backup/postgresql" })));
  return e;
};

const secRedis: Section = (c) => {
  const r = c.rng;
  const name = uniq(c, r.pick(c.fleet.apps)?.name ?? "cache");
  return [B(["services", "redis", "servers", name], O({ enable: true, port: r.int(6379, 6400), bind: "127.0.0.1", ...(r.chance(0.4) ? { requirePassFile: secretRef(c, `redis/${name}`) } : {}), ...(r.chance(0.3) ? { settings: O({ maxmemory: "512mb", "maxmemory-policy": "allkeys-lru" }) } : {}) }))];
};

const secMonitoring: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = [B("services.prometheus.exporters.node", O({ enable: true, enabledCollectors: r.sample(["systemd", "processes", "tcpstat", "ethtool", "textfile", "wifi"], r.int(1, 3)), port: 9100, listenAddress: r.chance(0.5) ? "0.0.0.0" : A("config.networking.wireguard.interfaces.wg0.ips") })) ];
  if (r.chance(0.5)) {
    const targets = f.hosts.map((h) => `${h.name}.${f.domain}:9100`);
    const scrape: Expr[] = [O({ job_name: "node", static_configs: L(O({ targets })) })];
    if (r.chance(0.5)) scrape.push(O({ job_name: "nginx", static_configs: L(O({ targets: ["localhost:9113"] })) }));
    for (const a of r.sample(f.apps, r.int(0, 3))) scrape.push(O({ job_name: a.name, scrape_interval: r.pick(["15s", "30s", "1m"]), metrics_path: "/metrics", static_configs: L(O({ targets: [`localhost:${a.port}`], labels: O({ app: a.name, env: r.pick(["prod", "staging"]) }) })) }));
    e.push(B("services.prometheus", O({ enable: true, port: 9090, retentionTime: r.pick(["15d", "30d", "90d"]), globalConfig: O({ scrape_interval: "30s" }), scrapeConfigs: mk({ k: "list", items: scrape }) })));
    if (r.chance(0.5)) e.push(B("services.prometheus.rules", L(APP("builtins.toJSON", O({ groups: L(O({ name: "alerts", rules: L(O({ alert: "InstanceDown", expr: "up == 0", for: "5m", labels: O({ severity: "critical" }), annotations: O({ summary: "Instance {{ $labels.instance }} down" }) })) })) })))));
  }
  if (r.chance(0.4)) {
    e.push(B("services.grafana", O({
      enable: true,
      "settings.server": O({ http_addr: "127.0.0.1", http_port: 3000, domain: `grafana.${f.domain}`, root_url: `https://grafana.${f.domain}/` }),
      "settings.security.admin_password": "$__file{/run/secrets/grafana-admin}",
      "settings.analytics.reporting_enabled": false,
      ...(r.chance(0.5) ? { "provision.datasources.settings.datasources": L(O({ name: "Prometheus", type: "prometheus", url: "http://localhost:9090", isDefault: true })) } : {}),
    }, f.nest)));
  }
  if (r.chance(0.3)) {
    e.push(B("services.promtail", O({ enable: true, configuration: O({ server: O({ http_listen_port: 3031, grpc_listen_port: 0 }), clients: L(O({ url: `http://loki.${f.domain}:3100/loki/api/v1/push` })), scrape_configs: L(O({ job_name: "journal", journal: O({ max_age: "12h", labels: O({ job: "systemd-journal", host: c.host?.name ?? "unknown" }) }), relabel_configs: L(O({ source_labels: ["__journal__systemd_unit"], target_label: "unit" })) })) }) })));
  }
  return e;
};

const secBackup: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = [];
  const paths = r.sample(["/var/lib", "/home", "/etc/nixos", "/var/backup", "/srv", "/var/lib/postgresql", "/persist"], r.int(1, 3));
  if (r.chance(0.6)) {
    const name = uniq(c, r.pick(["b2", "s3", "offsite", "nas", "daily", "hetzner"]));
    e.push(B(["services", "restic", "backups", name], O({
      initialize: true,
      repository: r.pick([`s3:s3.eu-central-1.amazonaws.com/${f.org}-backups/${c.host?.name ?? "host"}`, `b2:${f.org}-restic:/${c.host?.name ?? "host"}`, `sftp:backup@nas.${f.domain}:/srv/restic/${c.host?.name ?? "host"}`, `rest:https://restic.${f.domain}/${c.host?.name ?? "host"}`]),
      passwordFile: secretRef(c, "restic/password"),
      environmentFile: secretRef(c, "restic/env"),
      paths,
      exclude: r.sample(["/var/lib/docker", "/var/cache", "**/node_modules", "**/.cache", "/var/lib/systemd/coredump"], r.int(0, 3)),
      timerConfig: O({ OnCalendar: r.pick(["daily", "hourly", "*-*-* 03:30:00"]), Persistent: true, RandomizedDelaySec: "1h" }),
      pruneOpts: ["--keep-daily 7", "--keep-weekly 5", "--keep-monthly 12", ...(r.chance(0.3) ? ["--keep-yearly 3"] : [])],
    }, f.nest)));
    e.push(...secretDecl(c, "restic/password", null, null), ...secretDecl(c, "restic/env", null, null));
  } else {
    const name = uniq(c, r.pick(["borgbase", "nas", "rsync-net", "offsite"]));
    e.push(B(["services", "borgbackup", "jobs", name], O({
      paths,
      repo: `ssh://${r.hex(8)}@${r.hex(8)}.repo.borgbase.com/./repo`,
      encryption: O({ mode: "repokey-blake2", passCommand: S(`cat ${secretInterp(c, "borg/passphrase")}`) }),
      environment: O({ BORG_RSH: "ssh -i /etc/ssh/ssh_host_ed25519_key" }),
      compression: "auto,zstd",
      startAt: "daily",
      prune: O({ keep: O({ daily: 7, weekly: 4, monthly: 6 }) }),
    }, f.nest)));
  }
  return e;
};

const secWireguard: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const h = c.host;
  const peers = f.hosts.filter((x) => x !== h).slice(0, r.int(1, 12)).map((p) =>
    O({
      publicKey: p.wgPub,
      allowedIPs: [`${p.wgIp}/32`, ...(r.chance(0.2) ? [`10.${r.int(100, 200)}.0.0/16`] : [])],
      ...(r.chance(0.7) ? { endpoint: `${p.name}.${f.domain}:${f.wgPort}` } : {}),
      ...(r.chance(0.5) ? { persistentKeepalive: 25 } : {}),
    }, 0.9),
  );
  const iface = r.chance(0.85) ? "wg0" : r.pick(["wg-mesh", "wg1"]);
  const o: Record<string, V> = {
    ips: [`${h?.wgIp ?? `10.${f.wgNet}.0.1`}/24`],
    listenPort: f.wgPort,
    privateKeyFile: secretRef(c, `wireguard/${iface}`),
    peers: mk({ k: "list", items: peers }),
  };
  if (r.chance(0.3)) {
    o["postSetup"] = IND([`%{pkgs.iptables}/bin/iptables -t nat -A POSTROUTING -s 10.${f.wgNet}.0.0/24 -o ${h?.iface ?? "eth0"} -j MASQUERADE`]);
    o["postShutdown"] = IND([`%{pkgs.iptables}/bin/iptables -t nat -D POSTROUTING -s 10.${f.wgNet}.0.0/24 -o ${h?.iface ?? "eth0"} -j MASQUERADE`]);
  }
  if (r.chance(0.3)) o["mtu"] = 1420;
  const e = [B(["networking", "wireguard", "interfaces", iface], O(o, f.nest)), ...secretDecl(c, `wireguard/${iface}`, null, null)];
  if (r.chance(0.5)) e.push(B("networking.firewall.allowedUDPPorts", L(f.wgPort)));
  return e;
};

const secTailscale: Section = (c) => {
  const r = c.rng;
  return [B("services.tailscale", O({ enable: true, useRoutingFeatures: r.pick(["client", "server", "both"]), authKeyFile: secretRef(c, "tailscale/authkey"), ...(r.chance(0.4) ? { extraUpFlags: ["--ssh", "--advertise-tags=tag:server"] } : {}) })), ...secretDecl(c, "tailscale/authkey", null, "tailscaled.service")];
};

const secFail2ban: Section = (c) => {
  const r = c.rng;
  return [B("services.fail2ban", O({ enable: true, maxretry: r.pick([3, 5, 10]), ignoreIP: ["127.0.0.0/8", `10.${c.fleet.wgNet}.0.0/24`], "bantime-increment": O({ enable: true, maxtime: "48h" }), ...(r.chance(0.4) ? { jails: O({ "nginx-botsearch": IND(["enabled = true", "filter = nginx-botsearch", "port = http,https", "maxretry = 2"]) }) } : {}) }))];
};

const secContainers: Section = (c) => {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = [B("virtualisation.oci-containers.backend", r.pick(["podman", "docker"]))];
  const imgs = [
    ["uptime-kuma", "louislam/uptime-kuma:1", 3001], ["vaultwarden", "vaultwarden/server:1.30.5", 8222], ["gotify", "gotify/server:2.4.0", 8380],
    ["homepage", "ghcr.io/gethomepage/homepage:v0.9.2", 3010], ["umami", "ghcr.io/umami-software/umami:postgresql-latest", 3020], ["plausible", "ghcr.io/plausible/community-edition:v2.1.1", 8000],
    ["whoami", "traefik/whoami:v1.10", 8081], ["minio", "quay.io/minio/minio:RELEASE.2024-05-10T01-41-38Z", 9000],
  ] as const;
  for (const [name, image, port] of r.sample(imgs, r.int(1, 4))) {
    const o: Record<string, V> = { image, ports: [`127.0.0.1:${port}:${port}`] };
    if (r.chance(0.6)) o["volumes"] = [`/var/lib/${name}:/data`];
    if (r.chance(0.5)) o["environment"] = O({ TZ: r.pick(TIMEZONES), LOG_LEVEL: r.pick(["info", "warn"]) });
    if (r.chance(0.5)) o["environmentFiles"] = [secretRef(c, `containers/${name}`)];
    if (r.chance(0.3)) o["extraOptions"] = ["--pull=newer", `--network=${r.pick(["host", "bridge", "web"])}`];
    if (r.chance(0.2)) o["dependsOn"] = ["postgres"];
    e.push(B(["virtualisation", "oci-containers", "containers", uniq(c, name)], O(o, 0.9)));
  }
  if (r.chance(0.4)) e.push(B("virtualisation.podman", O({ enable: true, dockerCompat: true, "defaultNetwork.settings.dns_enabled": true, autoPrune: O({ enable: true, dates: "weekly" }) })));
  void f;
  return e;
};

const SERVICE_SCRIPTS: Array<(name: string, port: number) => string[]> = [
  (name) => [
    "set -euo pipefail",
    `mkdir -p /var/lib/${name}/cache`,
    `if [ ! -f /var/lib/${name}/.initialized ]; then`,
    `  %{pkgs.coreutils}/bin/install -d -m 0750 /var/lib/${name}/data`,
    `  touch /var/lib/${name}/.initialized`,
    "fi",
    `exec %{pkgs.${name.split("-")[0]}}/bin/${name} --data-dir /var/lib/${name}/data`,
  ],
  (name, port) => [
    "# wait for the database before starting",
    "for i in $(seq 1 30); do",
    "  if %{config.services.postgresql.package}/bin/pg_isready -q; then break; fi",
    "  sleep 1",
    "done",
    `export DATABASE_URL="postgres:///${name.replace(/-/g, "_")}?host=/run/postgresql"`,
    `export LISTEN_ADDR="127.0.0.1:${port}"`,
    "export CACHE_DIR=\"${CACHE_DIRECTORY:-/var/cache/" + name + "}\"",
    `exec %{lib.getExe pkgs.${name.split("-")[0]}} serve`,
  ],
  (name) => [
    "set -eu",
    "TOKEN=$(cat \"$CREDENTIALS_DIRECTORY/token\")",
    "%{pkgs.curl}/bin/curl -fsS --retry 3 \\",
    "  -H \"Authorization: Bearer $TOKEN\" \\",
    `  -o /var/lib/${name}/snapshot.json \\`,
    `  https://api.internal/${name}/snapshot`,
    `%{pkgs.jq}/bin/jq -r '.items[] | .id' /var/lib/${name}/snapshot.json > /var/lib/${name}/ids`,
    "echo \"fetched $(wc -l < /var/lib/" + name + "/ids) items\"",
  ],
  (name) => [
    "shopt -s nullglob",
    `for f in /var/spool/${name}/*.json; do`,
    "  base=\"${f##*/}\"",
    "  echo \"processing ${base%.json}\"",
    `  %{pkgs.python3}/bin/python3 %{./scripts/process.py} "$f" && rm -f "$f"`,
    "done",
  ],
  (name) => [
    "# rotate old exports, keep 14 days",
    `%{pkgs.findutils}/bin/find /var/lib/${name}/exports -type f -mtime +14 -delete`,
    `%{pkgs.gzip}/bin/gzip -9 /var/lib/${name}/exports/*.csv || true`,
    "du -sh /var/lib/" + name + "/exports",
  ],
];

function systemdService(c: Ctx, name: string, port: number, pkgExpr: string): Entry[] {
  const r = c.rng;
  const sc: Record<string, V> = {
    Type: r.pick(["simple", "simple", "notify", "exec", "oneshot"]),
    Restart: r.pick(["on-failure", "always"]),
  };
  const useScript = r.chance(0.45);
  if (!useScript) sc["ExecStart"] = r.chance(0.5) ? S(`%{${pkgExpr}}/bin/${name} --listen 127.0.0.1:${port}${r.chance(0.5) ? " --log-format json" : ""}`) : C(`"%{${pkgExpr}}/bin/${name} " + lib.escapeShellArgs [ "--port" (toString ${port}) ]`.replace("%{", "${"));
  if (r.chance(0.6)) sc["RestartSec"] = r.pick([1, 5, 10, "30s"]);
  if (r.chance(0.6)) sc["DynamicUser"] = true;
  else {
    sc["User"] = name;
    sc["Group"] = name;
  }
  if (r.chance(0.7)) sc["StateDirectory"] = name;
  if (r.chance(0.3)) sc["CacheDirectory"] = name;
  if (r.chance(0.3)) sc["RuntimeDirectory"] = name;
  if (r.chance(0.4)) sc["LoadCredential"] = [S(`token:${secretInterp(c, `${name}/token`)}`)];
  if (r.chance(0.4)) sc["EnvironmentFile"] = secretRef(c, `${name}/env`);
  if (r.chance(0.7)) {
    for (const [k, val] of r.sample<[string, V]>([
      ["ProtectSystem", "strict"], ["ProtectHome", true], ["PrivateTmp", true], ["PrivateDevices", true], ["NoNewPrivileges", true],
      ["ProtectKernelTunables", true], ["ProtectKernelModules", true], ["ProtectControlGroups", true], ["RestrictSUIDSGID", true],
      ["LockPersonality", true], ["MemoryDenyWriteExecute", true], ["RestrictRealtime", true], ["CapabilityBoundingSet", ""],
      ["SystemCallArchitectures", "native"], ["SystemCallFilter", ["@system-service", "~@privileged", "~@resources"]],
      ["RestrictAddressFamilies", ["AF_UNIX", "AF_INET", "AF_INET6"]], ["UMask", "0077"], ["LimitNOFILE", 65536],
      ["ReadWritePaths", [`/var/lib/${name}`]], ["AmbientCapabilities", ["CAP_NET_BIND_SERVICE"]],
    ], r.int(3, 14))) sc[k] = val;
  }
  const o: Record<string, V> = {
    description: r.pick([`${name} service`, `${name} daemon`, `Run ${name}`, `${name[0]!.toUpperCase()}${name.slice(1)} (${port})`]),
    wantedBy: ["multi-user.target"],
    after: ["network-online.target", ...(r.chance(0.4) ? ["postgresql.service"] : [])],
  };
  if (r.chance(0.6)) o["wants"] = ["network-online.target"];
  if (r.chance(0.4)) o["path"] = WITH("pkgs", L(...r.sample([A("coreutils"), A("gnused"), A("curl"), A("jq"), A("git"), A("openssh"), A("gawk")], r.int(1, 4))));
  if (r.chance(0.5)) o["environment"] = O({ RUST_LOG: r.pick(["info", "warn", `${name.replace(/-/g, "_")}=debug`]), DATA_DIR: `/var/lib/${name}`, PORT: S(`%{toString ${port}}`), ...(r.chance(0.3) ? { HOME: `/var/lib/${name}` } : {}) });
  if (useScript) o["script"] = IND(r.pick(SERVICE_SCRIPTS)(name, port));
  if (r.chance(0.25)) o["preStart"] = IND([`install -d -m 0700 /var/lib/${name}/tmp`, `ln -sfn %{${pkgExpr}}/share/${name} /var/lib/${name}/share`]);
  if (r.chance(0.2)) o["startAt"] = r.pick(["hourly", "daily", "*:0/15"]);
  o["serviceConfig"] = O(sc, 0.95);
  return [B(["systemd", "services", name], O(o, 0.9))];
}

const secSystemd: Section = (c) => {
  const r = c.rng;
  const a = r.pick(c.fleet.apps);
  const name = uniq(c, r.chance(0.6) ? a.name : `${r.pick(["sync", "report", "cleanup", "rotate", "export", "import", "probe", "notify"])}-${r.pick(APP_WORDS)}`);
  const e = systemdService(c, name, a.port, `pkgs.${a.name}`);
  if (r.chance(0.3)) e.push(B(["systemd", "timers", name], O({ wantedBy: ["timers.target"], timerConfig: O({ OnCalendar: r.pick(["*-*-* 04:00:00", "hourly", "Mon *-*-* 06:00:00"]), Persistent: true, RandomizedDelaySec: r.pick(["5m", "30m"]) }) })));
  if (r.chance(0.3)) e.push(B("systemd.tmpfiles.rules", L(`d /var/lib/${name} 0750 ${name} ${name} -`, `d /var/log/${name} 0750 ${name} ${name} 14d`)));
  return e;
};

const ETC_FILES: Array<(c: Ctx, name: string) => [string, Expr]> = [
  (c, name) => [`${name}/config.toml`, IND([`[server]`, `listen = "127.0.0.1:${c.rng.int(3000, 9000)}"`, `workers = ${c.rng.int(2, 16)}`, "", "[database]", `url = "postgres:///${name}"`, `pool_size = ${c.rng.int(5, 50)}`, "", "[log]", `level = "${c.rng.pick(["info", "debug", "warn"])}"`])],
  (c, name) => [`${name}/settings.json`, APP("builtins.toJSON", O({ listen: `:${c.rng.int(3000, 9000)}`, features: c.rng.sample(["metrics", "tracing", "cors", "gzip", "audit"], 3), limits: O({ requests_per_minute: c.rng.int(60, 6000), max_body: "10MB" }) }))],
  (_c, name) => [`${name}/env`, IND([`# managed by NixOS, do not edit`, `${name.toUpperCase().replace(/-/g, "_")}_MODE=production`, `${name.toUpperCase().replace(/-/g, "_")}_DATA=/var/lib/${name}`])],
  (c, name) => [`logrotate.d/${name}`, IND([`/var/log/${name}/*.log {`, "  daily", `  rotate ${c.rng.int(3, 30)}`, "  compress", "  missingok", "  notifempty", "}"])],
  (c, name) => [`${name}/hosts.yaml`, APP(`(pkgs.formats.yaml { }).generate`, `${name}-hosts.yaml`, O({ hosts: L(...c.fleet.hosts.slice(0, 4).map((h) => O({ name: h.name, address: h.wgIp }))) }))],
];

const secEtc: Section = (c) => {
  const r = c.rng;
  const name = uniq(c, r.pick(c.fleet.apps).name);
  const [path, val] = r.pick(ETC_FILES)(c, name);
  const e: Entry[] = [];
  if (val.k === "ind") e.push(B(["environment", "etc", path, "text"], val));
  else if (r.chance(0.5)) e.push(B(["environment", "etc", path, "text"], val));
  else e.push(B(["environment", "etc", path, "source"], val.k === "app" && val.fn.startsWith("builtins") ? APP("pkgs.writeText", path.split("/").pop()!, val) : val));
  if (r.chance(0.3)) e.push(B(["environment", "etc", path, "mode"], "0640"));
  if (r.chance(0.04)) e.push(B(["environment", "etc", `ssl/certs/${uniq(c, `${c.fleet.org}-ca`)}.pem`, "text"], IND(fakeCert(r))));
  return e;
};

function fakeCert(r: Rng): string[] {
  const d = "-".repeat(5);
  const body = Buffer.concat([Buffer.from([0x30, 0x82, 0x03, r.int(0, 255)]), r.bytes(r.int(600, 900))]).toString("base64");
  const lines: string[] = [d + "BEGIN CERTIFICATE" + d];
  for (let i = 0; i < body.length; i += 64) lines.push(body.slice(i, i + 64));
  lines.push(d + "END CERTIFICATE" + d);
  return lines;
}

const secMisc: Section = (c) => {
  const r = c.rng;
  const h = c.host;
  const pool: Array<() => Entry[]> = [
    () => [B("zramSwap", O({ enable: true, memoryPercent: r.pick([25, 50]) }))],
    () => [B("services.fstrim.enable", true)],
    () => [B("services.journald.extraConfig", IND([`SystemMaxUse=${r.pick(["500M", "1G", "2G"])}`, "MaxRetentionSec=1month"]))],
    () => [B("services.smartd", O({ enable: true, autodetect: true, notifications: O({ mail: O({ enable: true, recipient: `ops@${c.fleet.domain}` }) }) }))],
    () => [B("virtualisation.docker", O({ enable: true, autoPrune: O({ enable: true, dates: "weekly" }), daemon: O({ settings: O({ "log-driver": "journald", "live-restore": true }) }) }))],
    () => [B("services.chrony", O({ enable: true, servers: ["0.pool.ntp.org", "1.pool.ntp.org", "time.cloudflare.com"] }))],
    () => [B("hardware.enableRedistributableFirmware", true), B("hardware.cpu.intel.updateMicrocode", APP(lf(c, "mkDefault"), A("config.hardware.enableRedistributableFirmware")))],
    () => [B("services.zfs", O({ autoScrub: O({ enable: true, interval: "monthly" }), autoSnapshot: O({ enable: true, frequent: 4, hourly: 24, daily: 7 }), "trim.enable": true }))],
    () => [B("documentation.enable", false), B("documentation.nixos.enable", false)],
    () => [B("system.autoUpgrade", O({ enable: true, flake: S(`github:${c.fleet.org}/nixos-config#%{config.networking.hostName}`), dates: "04:00", allowReboot: r.chance(0.5), randomizedDelaySec: "45min" }))],
    () => [B("services.unbound", O({ enable: true, settings: O({ server: O({ interface: ["127.0.0.1", "::1"], "access-control": ["127.0.0.0/8 allow"], prefetch: true }), "forward-zone": L(O({ name: ".", "forward-addr": ["9.9.9.9@853#dns.quad9.net", "1.1.1.1@853#cloudflare-dns.com"], "forward-tls-upstream": true })) }) }))],
    () => [B("services.k3s", O({ enable: true, role: r.pick(["server", "agent"]), tokenFile: secretRef(c, "k3s/token"), extraFlags: APP("toString", L("--disable=traefik", "--flannel-backend=wireguard-native", `--node-ip=${h?.wgIp ?? "10.0.0.1"}`)) }))],
    () => [B("security.auditd.enable", true), B("security.audit", O({ enable: true, rules: ["-a exit,always -F arch=b64 -S execve"] }))],
    () => [B("services.syncthing", O({ enable: true, user: c.fleet.users[0]?.name ?? "syncthing", dataDir: `/home/${c.fleet.users[0]?.name ?? "syncthing"}`, "settings.devices": SET(c.fleet.hosts.slice(0, r.int(1, 3)).map((x) => B([x.name], O({ id: Array.from({ length: 8 }, () => r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 7)).join("-") })))) }))],
    () => [B("programs.git", O({ enable: true, config: O({ "init.defaultBranch": "main", "safe.directory": "/etc/nixos" }) }))],
    () => [B("services.logind.lidSwitch", "ignore"), B("powerManagement.cpuFreqGovernor", APP(lf(c, "mkDefault"), "performance"))],
  ];
  const out: Entry[] = [];
  const fresh = pool.map((_, i) => i).filter((i) => !c.used.has(`misc:${i}`));
  for (const i of r.sample(fresh, r.int(1, 4))) {
    c.used.add(`misc:${i}`);
    out.push(...pool[i]!());
  }
  return out;
};

function appEnable(c: Ctx, app: App): Entry[] {
  const r = c.rng;
  const o: Record<string, V> = { enable: true };
  if (r.chance(0.6)) o["port"] = app.port;
  if (r.chance(0.4)) o["openFirewall"] = r.chance(0.3);
  if (r.chance(0.4)) o["environmentFile"] = secretRef(c, `${app.name}/env`);
  if (r.chance(0.3)) o["settings"] = O({ log_level: r.pick(["info", "debug"]), workers: r.int(1, 8), public_url: `https://${app.name}.${c.fleet.domain}` });
  if (r.chance(0.2)) o["extraArgs"] = ["--metrics", `--metrics-addr=127.0.0.1:${app.port + 1}`];
  return [B([...parsePath(app.ns), app.name], O(o, 0.8)), ...(o["environmentFile"] ? secretDecl(c, `${app.name}/env`, app.name, `${app.name}.service`) : [])];
}

// ───────────────────────────── File generators ─────────────────────────────

/** Where planted entries go: the file's main config attribute set. */
interface LockInput {
  name: string;
  url: string;
  follows: boolean;
  flake: boolean;
}

interface Built {
  expr: Expr;
  lock?: LockInput[];
  header: string[];
  /** Entries list that plants may append to (rendered as part of the main config set). */
  inject: Entry[] | null;
}

/** Fills `entries` from `pool` (and then from `repeat`) until about `budget` bytes. */
function fill(c: Ctx, entries: Entry[], budget: number, pool: Section[], repeat: Section[]): void {
  let size = measure(entries);
  for (const sec of c.rng.sample(pool, pool.length)) {
    if (size >= budget) return;
    const add = sec(c);
    entries.push(...add);
    size += measure(add);
  }
  for (let guard = 0; size < budget && repeat.length && guard < 400; guard++) {
    const add = c.rng.pick(repeat)(c);
    entries.push(...add);
    size += measure(add);
  }
}

/** Wraps a module body in `{ args }:` plus `with lib;` / `let inherit (lib) ...; in` per the file's lib style. */
function moduleFile(c: Ctx, args: string[], lets: Entry[], body: Expr): Expr {
  const r = c.rng;
  const binds = [...lets];
  const json = JSON.stringify(body) + JSON.stringify(lets);
  for (const extra of ["inputs", "outputs", "modulesPath"]) if (json.includes(extra) && !args.includes(extra)) args = [...args, extra];
  if (c.libStyle !== "with" && /\btypes\./.test(json)) {
    if (c.libStyle === "inherit") c.libNames.add("types");
    else binds.unshift(INH(["types"], "lib"));
  }
  if (c.libStyle === "inherit" && c.libNames.size) binds.unshift(INH([...c.libNames].sort(), "lib"));
  let inner: Expr = binds.length ? LET(binds, body) : body;
  if (c.libStyle === "with") inner = WITH("lib", inner, true);
  const head = r.chance(0.12)
    ? formals(args, { ellipsis: true, multiline: true })
    : r.chance(0.05)
      ? formals(args, { ellipsis: true, at: "args", atFirst: r.chance(0.5) })
      : formals(args, { ellipsis: true });
  return LAM(head, inner, true);
}

function newCtx(seedBasis: number, fleet: Fleet, host: Host | null, path: string): Ctx {
  const rng = new Rng(hash32(path, seedBasis));
  const libStyle = rng.float() < fleet.withLib ? "with" : rng.chance(0.5) ? "inherit" : "qualified";
  return { rng, fleet, host, path, used: new Set(), libStyle, libNames: new Set() };
}

const HOST_POOL: Section[] = [secNginx, secPostgres, secRedis, secMonitoring, secBackup, secWireguard, secTailscale, secFail2ban, secContainers, secSystemd, secEtc, secMisc];
const HOST_REPEAT: Section[] = [secSystemd, secSystemd, secEtc, secMisc, secRedis];

function genHost(c: Ctx, budget: number): Built {
  const r = c.rng;
  const f = c.fleet;
  const h = c.host!;
  const imports: Expr[] = [A(h.disko ? "./disko.nix" : "./hardware-configuration.nix")];
  if (h.disko) imports.push(A("inputs.disko.nixosModules.disko"));
  if (r.chance(0.6)) imports.push(A(f.layout === "nested" ? "../../modules/nixos" : "../../modules"));
  for (const m of r.sample(["nix", "users", "ssh", "monitoring", "wireguard", "locale"], r.int(0, 4))) imports.push(A(`../../common/${m}.nix`));
  if (f.secrets === "sops") imports.push(A("inputs.sops-nix.nixosModules.sops"));
  if (f.secrets === "agenix") imports.push(A("inputs.agenix.nixosModules.default"));
  if (r.chance(0.2)) imports.push(A(`inputs.nixos-hardware.nixosModules.${r.pick(["common-cpu-amd", "common-cpu-intel", "common-pc-ssd", "lenovo-thinkpad-t14", "raspberry-pi-4"])}`));
  if (r.chance(0.1)) imports.push(LC("./impermanence.nix"));
  if (r.chance(0.15)) imports.push(C(`(modulesPath + "/profiles/${r.pick(["qemu-guest.nix", "headless.nix", "minimal.nix"])}")`.slice(1, -1)));
  const e: Entry[] = [B("imports", mk({ k: "list", items: imports }))];
  e.push(...secBoot(c), ...secNetworking(c));
  if (r.chance(0.5)) e.push(...secLocale(c));
  if (r.chance(0.5)) e.push(...secSsh(c));
  if (r.chance(0.3)) e.push(...secNix(c));
  if (r.chance(0.25)) e.push(...secUsers(c));
  for (const app of h.apps) e.push(...appEnable(c, app));
  if (f.secrets === "sops") e.push(B("sops.defaultSopsFile", A(`../../secrets/${h.name}.yaml`)), B("sops.age.sshKeyPaths", L("/etc/ssh/ssh_host_ed25519_key")));
  if (r.chance(0.5)) e.push(...secPackages(c));
  const tail: Entry[] = [];
  if (r.chance(0.3)) tail.push(CMT("This value determines the NixOS release from which the default", "settings for stateful data, like file locations and database versions", "on your system were taken. It's perfectly fine and recommended to leave", "this value at the release version of the first install of this system."));
  tail.push(B("system.stateVersion", f.release, r.chance(0.4) ? "Did you read the comment?" : undefined));
  fill(c, e, budget - measure(tail), HOST_POOL, HOST_REPEAT);
  e.push(...tail);
  const args = ["config", "lib", "pkgs", ...(r.chance(0.7) ? ["inputs"] : []), ...(imports.some((i) => i.k === "code") ? ["modulesPath"] : [])];
  const lets: Entry[] = [];
  if (r.chance(0.3)) lets.push(B("domain", f.domain));
  if (r.chance(0.2)) lets.push(B("wgPort", f.wgPort));
  const header = r.chance(0.3) ? [`${h.name}: ${h.role} (${h.system})`] : [];
  return { expr: moduleFile(c, args, lets, SET(e, f.nest)), header, inject: e };
}

function genHardware(c: Ctx, budget: number): Built {
  const r = c.rng;
  const h = c.host!;
  const cpu = r.pick(["intel", "amd"]);
  const e: Entry[] = [
    B("imports", L(C(`(modulesPath + "/installer/scan/not-detected.nix")`.slice(1, -1)))),
    B("boot.initrd.availableKernelModules", L(...r.sample(["xhci_pci", "ahci", "nvme", "usbhid", "usb_storage", "sd_mod", "virtio_pci", "virtio_scsi", "sr_mod", "thunderbolt"], r.int(3, 7)))),
    B("boot.initrd.kernelModules", L(...(h.fs === "zfs" ? ["zfs"] : []))),
    B("boot.kernelModules", L(`kvm-${cpu}`)),
    B("boot.extraModulePackages", L()),
  ];
  const fsType = h.fs === "zfs" ? "zfs" : h.fs;
  const mounts: Array<[string, Record<string, V>]> = [];
  if (h.fs === "zfs") {
    for (const ds of ["root", "nix", "home", "var"]) mounts.push([ds === "root" ? "/" : `/${ds}`, { device: `rpool/local/${ds}`, fsType: "zfs" }]);
  } else if (h.fs === "btrfs") {
    const dev = `/dev/disk/by-uuid/${uuid(r)}`;
    for (const [sv, mp] of [["root", "/"], ["home", "/home"], ["nix", "/nix"], ["log", "/var/log"], ["persist", "/persist"]] as const) {
      if (sv !== "root" && r.chance(0.3)) continue;
      mounts.push([mp, { device: dev, fsType: "btrfs", options: [`subvol=${sv}`, "compress=zstd", "noatime"] }]);
    }
  } else {
    mounts.push(["/", { device: `/dev/disk/by-uuid/${uuid(r)}`, fsType }]);
  }
  mounts.push(["/boot", { device: `/dev/disk/by-uuid/${r.hex(4).toUpperCase()}-${r.hex(4).toUpperCase()}`, fsType: "vfat", ...(r.chance(0.5) ? { options: ["fmask=0022", "dmask=0022"] } : {}) }]);
  for (const [mp, o] of mounts) e.push(B(["fileSystems", mp], O(o, 0.95)));
  e.push(B("swapDevices", r.chance(0.5) ? L() : L(O({ device: `/dev/disk/by-uuid/${uuid(r)}` }))));
  const extraMounts = (): Entry[] => {
    const kind = r.int(0, 2);
    if (kind === 0) {
      const mp = uniq(c, `/mnt/${r.pick(["media", "backup", "archive", "data", "scratch", "photos"])}`);
      return [B(["fileSystems", mp], O({ device: `nas.${c.fleet.domain}:/export${mp.slice(4)}`, fsType: "nfs", options: ["x-systemd.automount", "noauto", "x-systemd.idle-timeout=600", "nfsvers=4.2"] }, 0.95))];
    }
    if (kind === 1) {
      const mp = uniq(c, `/srv/${r.pick(["git", "www", "data", "containers", "minio"])}`);
      return [B(["fileSystems", mp], O({ device: `/dev/disk/by-label/${mp.slice(5)}`, fsType: r.pick(["ext4", "xfs"]), options: ["nofail", "noatime"] }, 0.95))];
    }
    const mp = uniq(c, `/var/lib/${r.pick(APP_WORDS)}`);
    return [B(["fileSystems", mp], O({ device: `/persist${mp}`, options: ["bind"] }, 0.95))];
  };
  fill(c, e, budget - 300, [], [extraMounts]);
  e.push(B("networking.useDHCP", APP(lf(c, "mkDefault"), true)));
  e.push(B("nixpkgs.hostPlatform", APP(lf(c, "mkDefault"), h.system)));
  if (h.system === "x86_64-linux") e.push(B(`hardware.cpu.${cpu}.updateMicrocode`, APP(lf(c, "mkDefault"), A("config.hardware.enableRedistributableFirmware"))));
  const header = [
    "Do not modify this file!  It was generated by ‘nixos-generate-config’",
    "and may be overwritten by future invocations.  Please make changes",
    "to /etc/nixos/configuration.nix instead.",
  ];
  c.libStyle = "qualified";
  return { expr: LAM(formals(["config", "lib", "pkgs", "modulesPath"], { ellipsis: true }), SET(e, 0.2), true), header, inject: null };
}

function genDisko(c: Ctx): Built {
  const r = c.rng;
  const h = c.host!;
  const part = (size: string, content: Record<string, V>, extra: Record<string, V> = {}): Expr => O({ size, ...extra, content: O(content) });
  const parts: Entry[] = [
    B("boot", O({ size: "1M", type: "EF02" })),
    B("ESP", part(r.pick(["512M", "1G"]), { type: "filesystem", format: "vfat", mountpoint: "/boot", mountOptions: ["umask=0077"] }, { type: "EF00" })),
  ];
  if (r.chance(0.4)) parts.push(B("swap", part(`${r.pick([4, 8, 16])}G`, { type: "swap", randomEncryption: true })));
  let root: Record<string, V>;
  if (h.fs === "btrfs") {
    const subs: Entry[] = [];
    for (const [sv, mp] of [["/root", "/"], ["/home", "/home"], ["/nix", "/nix"], ["/persist", "/persist"], ["/log", "/var/log"]] as const) subs.push(B([sv], O({ mountpoint: mp, mountOptions: ["compress=zstd", "noatime"] })));
    root = { type: "btrfs", extraArgs: ["-f"], subvolumes: SET(subs) };
  } else if (h.fs === "zfs") {
    root = { type: "zfs", pool: "rpool" };
  } else {
    root = { type: "filesystem", format: h.fs, mountpoint: "/" };
  }
  if (r.chance(0.3)) root = { type: "luks", name: "crypted", settings: O({ allowDiscards: true }), passwordFile: "/tmp/secret.key", content: O(root) };
  parts.push(B("root", part("100%", root)));
  const dev: Entry[] = [B(["disko", "devices", "disk", "main"], O({ type: "disk", device: h.disk, content: O({ type: "gpt", partitions: SET(parts) }) }))];
  if (h.fs === "zfs") {
    dev.push(B("disko.devices.zpool.rpool", O({
      type: "zpool",
      "options.ashift": "12",
      rootFsOptions: O({ compression: "zstd", acltype: "posixacl", xattr: "sa", "com.sun:auto-snapshot": "false" }),
      datasets: SET(["root", "nix", "home", "var"].map((d) => B([`local/${d}`], O({ type: "zfs_fs", mountpoint: d === "root" ? "/" : `/${d}`, "options.mountpoint": "legacy" })))),
    })));
  }
  c.libStyle = "qualified";
  return { expr: LAM(formals(["lib"], { ellipsis: true }), SET(dev, 0.9), true), header: [], inject: null };
}

interface OptSpec {
  name: string;
  type: string;
  def: V;
  desc: string;
  example?: V;
}

function optionPool(c: Ctx, app: App): OptSpec[] {
  const r = c.rng;
  const fmt = r.pick(["toml", "json", "yaml"]);
  void fmt;
  return [
    { name: "port", type: "types.port", def: app.port, desc: `Port ${app.name} listens on.` },
    { name: "listenAddress", type: "types.str", def: "127.0.0.1", desc: "Address to bind to.", example: "0.0.0.0" },
    { name: "dataDir", type: "types.path", def: `/var/lib/${app.name}`, desc: "Directory for persistent state." },
    { name: "user", type: "types.str", def: app.name, desc: `User account under which ${app.name} runs.` },
    { name: "group", type: "types.str", def: app.name, desc: `Group under which ${app.name} runs.` },
    { name: "openFirewall", type: "types.bool", def: false, desc: "Whether to open the firewall for the port." },
    { name: "environmentFile", type: "types.nullOr types.path", def: null, desc: "Environment file with secrets (API tokens, database passwords), kept out of the Nix store.", example: "/run/secrets/" + app.name },
    { name: "extraArgs", type: "types.listOf types.str", def: [], desc: "Extra command line arguments.", example: L("--verbose") },
    { name: "logLevel", type: `types.enum [ "trace" "debug" "info" "warn" "error" ]`, def: "info", desc: "Log verbosity." },
    { name: "workers", type: "types.ints.positive", def: r.int(1, 8), desc: "Number of worker threads." },
    { name: "domain", type: "types.str", def: `${app.name}.${c.fleet.domain}`, desc: "Public domain name.", example: "app.example.org" },
    { name: "nginx.enable", type: "types.bool", def: false, desc: "Whether to set up an nginx reverse proxy." },
    { name: "database.host", type: "types.str", def: "/run/postgresql", desc: "Database host or socket directory." },
    { name: "database.name", type: "types.str", def: app.name.replace(/-/g, "_"), desc: "Database name." },
    { name: "database.createLocally", type: "types.bool", def: true, desc: "Create the database and user locally." },
    { name: "database.passwordFile", type: "types.nullOr types.path", def: null, desc: "File containing the database password." },
    { name: "allowedOrigins", type: "types.listOf types.str", def: [], desc: "CORS origins.", example: L(`https://${c.fleet.domain}`) },
    { name: "retention", type: "types.str", def: r.pick(["7d", "30d", "90d"]), desc: "How long to keep data." },
    { name: "metrics.enable", type: "types.bool", def: r.chance(0.5), desc: "Expose Prometheus metrics." },
    { name: "metrics.port", type: "types.port", def: app.port + 1, desc: "Metrics port." },
    { name: "extraEnvironment", type: "types.attrsOf types.str", def: {}, desc: "Extra environment variables.", example: O({ RUST_BACKTRACE: "1" }) },
  ];
}

function optionDecl(c: Ctx, o: OptSpec): Expr {
  const r = c.rng;
  if (o.type === "types.bool" && o.def === false && r.chance(0.6) && o.name !== "openFirewall") {
    return APP(lf(c, "mkEnableOption"), o.desc.replace(/^Whether to /, "").replace(/\.$/, ""));
  }
  const m: Entry[] = [B("type", o.type.includes(" ") ? C(o.type) : A(o.type))];
  m.push(B("default", o.def));
  if (typeof o.def === "string" && o.def.includes(".") && r.chance(0.3)) m.push(B("defaultText", APP(lf(c, "literalExpression"), `"${o.def}"`)));
  if (o.example !== undefined) m.push(B("example", o.example));
  if (r.chance(0.2) && o.desc.length > 30) m.push(B("description", IND([o.desc, "", "See the upstream documentation for details."])));
  else m.push(B("description", r.chance(0.2) ? APP(lf(c, "mdDoc"), o.desc) : LIT(o.desc)));
  return APP(lf(c, "mkOption"), SET(m, 1));
}

function genModule(c: Ctx, app: App, budget: number): Built {
  const r = c.rng;
  const f = c.fleet;
  const opts: Entry[] = [B("enable", APP(lf(c, "mkEnableOption"), `the ${app.name} service`))];
  if (r.chance(0.6)) opts.push(B("package", r.chance(0.5) ? APP(lf(c, "mkPackageOption"), A("pkgs"), app.name, O({})) : APP(lf(c, "mkOption"), O({ type: A("types.package"), default: A(`pkgs.${app.name}`), defaultText: APP(lf(c, "literalExpression"), `pkgs.${app.name}`), description: `The ${app.name} package to use.` }, 1))));
  const pool = r.sample(optionPool(c, app), r.int(3, 21));
  const has = new Set(pool.map((o) => o.name));
  for (const o of pool) opts.push(B(o.name, optionDecl(c, o)));
  const settingsFormat = r.pick(["toml", "json", "yaml", "ini"]);
  const hasSettings = r.chance(0.6);
  if (hasSettings) {
    opts.push(B("settings", APP(lf(c, "mkOption"), O({
      type: APP("types.submodule", O({ freeformType: A("settingsFormat.type"), options: O({ log_level: APP(lf(c, "mkOption"), O({ type: C(`types.enum [ "debug" "info" "warn" "error" ]`), default: "info", description: "Log level." }, 1)), bind: APP(lf(c, "mkOption"), O({ type: A("types.str"), default: `127.0.0.1:${app.port}`, description: "Bind address." }, 1)) }, 1) }, 1)),
      default: O({}),
      description: IND([`Configuration for ${app.name}, see`, `<https://github.com/${app.owner}/${app.repo}#configuration>`, "for supported values."]),
    }, 1))));
  }
  const hasInstances = r.chance(0.25);
  if (hasInstances) {
    opts.push(B("instances", APP(lf(c, "mkOption"), O({
      type: C(`types.attrsOf (types.submodule ({ name, config, ... }: {
        options = {
          enable = ${lf(c, "mkEnableOption")} "this instance" // { default = true; };
          port = ${lf(c, "mkOption")} { type = types.port; };
          configFile = ${lf(c, "mkOption")} {
            type = types.path;
            default = "/etc/${app.name}/\${name}.conf";
          };
        };
      }))`.replace(/\n {4}/g, "\n      ")),
      default: O({}),
      description: "Named instances, each run as its own systemd unit.",
    }, 1))));
  }
  const cfgPath = `${app.ns}.${app.name}`;
  const user = has.has("user") ? A("cfg.user") : LIT(app.name);
  const base: Entry[] = [];
  const pkgExpr = opts.some((o) => o.k === "bind" && o.path[0] === "package") ? "cfg.package" : `pkgs.${app.name}`;
  const port = has.has("port") ? "cfg.port" : String(app.port);
  base.push(...systemdServiceForModule(c, app, pkgExpr, port, hasSettings));
  if (has.has("user")) {
    base.push(B("users.users", SET([B(["${cfg.user}"], O({ isSystemUser: true, group: has.has("group") ? A("cfg.group") : LIT(app.name), home: has.has("dataDir") ? A("cfg.dataDir") : LIT(`/var/lib/${app.name}`), createHome: true }))])));
    base.push(B("users.groups", SET([B([has.has("group") ? "${cfg.group}" : app.name], O({}))])));
  }
  if (has.has("dataDir") && r.chance(0.5)) base.push(B("systemd.tmpfiles.rules", L(S(`d '%{cfg.dataDir}' 0750 %{cfg.user or "${app.name}"} - - -`))));
  if (r.chance(0.4)) base.push(B("assertions", L(O({ assertion: C(`cfg.port != ${app.port + 1}`), message: `${cfgPath}.port must not clash with the metrics port` }))));
  if (hasSettings && r.chance(0.5)) base.push(B(["environment", "etc", `${app.name}/config.${settingsFormat}`, "source"], A("configFile")));
  void user;
  const parts: Expr[] = [SET(base, f.nest)];
  if (has.has("openFirewall")) parts.push(APP(lf(c, "mkIf"), A("cfg.openFirewall"), O({ "networking.firewall.allowedTCPPorts": L(A(port)) })));
  if (has.has("nginx.enable")) {
    parts.push(APP(lf(c, "mkIf"), A("cfg.nginx.enable"), O({
      "services.nginx": O({ enable: true, virtualHosts: SET([B([has.has("domain") ? "${cfg.domain}" : `${app.name}.${f.domain}`], O({ forceSSL: true, enableACME: true, 'locations."/"': O({ proxyPass: S(`http://%{cfg.listenAddress or "127.0.0.1"}:%{toString ${port}}`), proxyWebsockets: true }) }))]) }),
    })));
  }
  if (has.has("database.createLocally")) {
    parts.push(APP(lf(c, "mkIf"), A("cfg.database.createLocally"), O({ "services.postgresql": O({ enable: true, ensureDatabases: L(A("cfg.database.name")), ensureUsers: L(O({ name: A("cfg.database.name"), ensureDBOwnership: true })) }), [`systemd.services.${quoteKey(app.name)}.after`]: ["postgresql.service"] })));
  }
  if (has.has("metrics.enable")) {
    parts.push(APP(lf(c, "mkIf"), A("cfg.metrics.enable"), O({ "services.prometheus.scrapeConfigs": L(O({ job_name: app.name, static_configs: L(O({ targets: L(S(`127.0.0.1:%{toString cfg.metrics.port}`)) })) })) })));
  }
  if (hasInstances) {
    parts.push(O({
      "systemd.services": APP(`${lf(c, "mapAttrs'")}`, LAM("name: icfg:", APP(lf(c, "nameValuePair"), S(`${app.name}-%{name}`), O({
        description: S(`${app.name} instance %{name}`),
        wantedBy: ["multi-user.target"],
        serviceConfig: O({ ExecStart: S(`%{${pkgExpr}}/bin/${app.name} --config %{icfg.configFile} --port %{toString icfg.port}`), DynamicUser: true, StateDirectory: S(`${app.name}/%{name}`) }),
      }))), APP(`${lf(c, "filterAttrs")}`, LAM("_: i:", A("i.enable")), A("cfg.instances"))),
    }));
  }
  const extra: Section[] = [
    (cc) => [B("systemd.timers", SET([B([`${app.name}-${uniq(cc, "maintenance")}`], O({ wantedBy: ["timers.target"], timerConfig: O({ OnCalendar: cc.rng.pick(["daily", "weekly", "*-*-* 05:00:00"]), Persistent: true }) }))]))],
    (cc) => secEtc(cc),
    (cc) => {
      const nm = uniq(cc, `${app.name}-${cc.rng.pick(["migrate", "backup", "gc", "reindex", "sync", "prune", "warmup", "export"])}`);
      return systemdService(cc, nm, app.port, pkgExpr);
    },
  ];
  const pos = base.length;
  fill(c, base, budget * 0.75, [], extra);
  void pos;
  const cfgBody = parts.length === 1 ? APP(lf(c, "mkIf"), A("cfg.enable"), parts[0]!) : APP(lf(c, "mkIf"), A("cfg.enable"), APP(lf(c, "mkMerge"), mk({ k: "list", items: parts })));
  const top: Entry[] = [B(["options", ...parsePath(cfgPath)], SET(opts, 1)), B("config", cfgBody)];
  if (r.chance(0.2)) top.push(B("meta.maintainers", L(...f.users.slice(0, 2).map((u) => A(`lib.maintainers.${u.name}`)))));
  const lets: Entry[] = [B("cfg", A(`config.${cfgPath.split(".").map(quoteKey).join(".")}`))];
  if (hasSettings) {
    lets.push(B("settingsFormat", APP(`pkgs.formats.${settingsFormat}`, O({}))));
    lets.push(B("configFile", APP("settingsFormat.generate", `${app.name}.${settingsFormat}`, A("cfg.settings"))));
  }
  if (r.chance(0.3)) lets.push(B("stateDir", `/var/lib/${app.name}`));
  const header = r.chance(0.4) ? [`NixOS module for ${app.name} (https://github.com/${app.owner}/${app.repo})`] : [];
  return { expr: moduleFile(c, ["config", "lib", "pkgs"], lets, SET(top, 0.3)), header, inject: base };
}

function systemdServiceForModule(c: Ctx, app: App, pkgExpr: string, port: string, hasSettings: boolean): Entry[] {
  const r = c.rng;
  const args = [`--port %{toString ${port}}`, ...(hasSettings ? ["--config %{configFile}"] : []), ...(r.chance(0.5) ? ["--data %{cfg.dataDir or \"/var/lib/" + app.name + "\"}"] : [])];
  const exec = r.chance(0.6)
    ? S(`%{${pkgExpr}}/bin/${app.name} ${args.join(" ")}`)
    : C(`lib.concatStringsSep " " ([ "\${${pkgExpr}}/bin/${app.name}" "--port" (toString ${port}) ] ++ cfg.extraArgs or [ ])`);
  const sc: Record<string, V> = { ExecStart: exec, Restart: "on-failure", DynamicUser: r.chance(0.4), StateDirectory: app.name };
  for (const [k, val] of r.sample<[string, V]>([["ProtectSystem", "strict"], ["ProtectHome", true], ["PrivateTmp", true], ["NoNewPrivileges", true], ["CapabilityBoundingSet", ""], ["SystemCallFilter", ["@system-service"]], ["UMask", "0077"]], r.int(0, 7))) sc[k] = val;
  if (r.chance(0.5)) sc["EnvironmentFile"] = C(`lib.mkIf (cfg.environmentFile or null != null) cfg.environmentFile`);
  const o: Record<string, V> = {
    description: `${app.name[0]!.toUpperCase()}${app.name.slice(1)}`,
    wantedBy: ["multi-user.target"],
    after: ["network.target"],
    serviceConfig: O(sc, 0.95),
  };
  if (r.chance(0.4)) o["environment"] = OP("//", O({ LOG_LEVEL: C(`cfg.logLevel or "info"`) }), A("(cfg.extraEnvironment or { })"));
  if (r.chance(0.3)) o["restartTriggers"] = L(A(hasSettings ? "configFile" : "config.environment.etc.hosts.source"));
  return [B(["systemd", "services", app.name], O(o, 0.9))];
}

function srcFetch(c: Ctx, app: App, verExpr: string): Expr {
  const r = c.rng;
  const k = r.int(0, 9);
  if (k <= 5) return APP("fetchFromGitHub", O({ owner: app.owner, repo: app.repo, [r.chance(0.8) ? "rev" : "tag"]: S(`v%{${verExpr}}`), hash: sri(r) }, 1));
  if (k === 6) return APP("fetchFromGitHub", O({ owner: app.owner, repo: app.repo, rev: r.hex(40), [r.chance(0.5) ? "sha256" : "hash"]: r.chance(0.5) ? nix32(r) : sri(r) }, 1));
  if (k === 7) return APP("fetchFromGitLab", O({ domain: `git.${c.fleet.domain}`, owner: app.owner, repo: app.repo, rev: S(`v%{${verExpr}}`), hash: sri(r) }, 1));
  if (k === 8) return APP("fetchurl", O({ url: S(`https://github.com/${app.owner}/${app.repo}/releases/download/v%{${verExpr}}/${app.repo}-%{${verExpr}}.tar.gz`), sha256: nix32(r) }, 1));
  return APP("fetchgit", O({ url: `https://git.${c.fleet.domain}/${app.owner}/${app.repo}.git`, rev: r.hex(40), hash: sri(r), fetchSubmodules: r.chance(0.5) }, 1));
}

function metaBlock(c: Ctx, app: App, fa: boolean, longDescription: Expr | null): Expr {
  const r = c.rng;
  const o: Entry[] = [
    B("description", r.pick([`${app.name} service`, `Small ${app.lang} daemon for ${app.name.split("-")[0]}`, `Internal ${app.name} tool`, `${app.name}: the ${r.pick(APP_WORDS)} backend`])),
    ...(longDescription ? [B("longDescription", longDescription)] : []),
    B("homepage", `https://github.com/${app.owner}/${app.repo}`),
  ];
  if (r.chance(0.3)) o.push(B("changelog", S(`https://github.com/${app.owner}/${app.repo}/releases/tag/v%{${fa ? "finalAttrs.version" : "version"}}`)));
  o.push(B("license", A(`licenses.${r.pick(LICENSES)}`)));
  if (r.chance(0.7)) o.push(B("maintainers", WITH("maintainers", L(...c.fleet.users.slice(0, r.int(0, 2)).map((u) => A(u.name))))));
  o.push(B("mainProgram", app.name));
  if (r.chance(0.6)) o.push(B("platforms", A(`platforms.${r.pick(["linux", "unix", "all"])}`)));
  if (r.chance(0.7)) return WITH("lib", SET(o, 1));
  return SET(o.map((e) => {
    if (e.k !== "bind") return e;
    if (e.value.k === "atom" && /^(licenses|platforms)\./.test(e.value.s)) return B(e.path, A(`lib.${e.value.s}`));
    if (e.value.k === "with") return B(e.path, WITH("lib.maintainers", e.value.body));
    return e;
  }), 1);
}

/** callPackage arguments a package file may use; the formals list those its body mentions. */
const PKG_ARGS = [
  "stdenv", "stdenvNoCC", "fetchFromGitHub", "fetchFromGitLab", "fetchurl", "fetchgit", "fetchpatch", "buildGoModule",
  "rustPlatform", "python3Packages", "buildNpmPackage", "nodejs_20", "pkg-config", "openssl", "darwin", "autoreconfHook",
  "zlib", "libuv", "sqlite", "curl", "libevent", "makeWrapper", "bash", "jq", "coreutils", "git", "openssh",
  "installShellFiles", "nix-update-script", "testers",
];

const BUILD_SNIPPETS: string[][] = [
  ["runHook preInstall", "install -Dm755 build/%{pname} $out/bin/%{pname}", "install -Dm644 -t $out/share/doc/%{pname} README.md LICENSE", "runHook postInstall"],
  ["runHook preBuild", "make -j$NIX_BUILD_CORES PREFIX=$out", "runHook postBuild"],
  ["substituteInPlace Makefile \\", "  --replace-fail '/usr/local' \"$out\" \\", "  --replace-fail 'gcc' '%{stdenv.cc.targetPrefix}cc'", "patchShebangs scripts/"],
  ["mkdir -p $out/share/%{pname}", "cp -r assets templates $out/share/%{pname}/", "wrapProgram $out/bin/%{pname} \\", "  --prefix PATH : %{lib.makeBinPath [ git openssh ]} \\", "  --set %{lib.toUpper pname}_ASSETS $out/share/%{pname}"],
  ["installShellCompletion --cmd %{pname} \\", "  --bash <($out/bin/%{pname} completion bash) \\", "  --fish <($out/bin/%{pname} completion fish) \\", "  --zsh <($out/bin/%{pname} completion zsh)"],
  ["export HOME=$(mktemp -d)", "echo \"building ${pname:-unknown} for $system\"", "if [ -n \"${NIX_BUILD_CORES:-}\" ]; then", "  export MAKEFLAGS=\"-j$NIX_BUILD_CORES\"", "fi"],
  ["# tests need a writable home and no network", "export HOME=$TMPDIR", "export NO_NETWORK_TESTS=1", "rm -f tests/test_network.py tests/integration/test_remote.py"],
  ["install -Dm644 contrib/%{pname}.service -t $out/lib/systemd/system", "substituteInPlace $out/lib/systemd/system/%{pname}.service \\", "  --replace-fail /usr/bin/%{pname} $out/bin/%{pname}"],
  ["for f in $out/bin/*; do", "  if [ -f \"$f\" ] && [ -x \"$f\" ]; then", "    wrapProgram \"$f\" --set-default LANG C.UTF-8", "  fi", "done"],
  ["sed -i 's|/etc/%{pname}|'\"$out\"'/etc/%{pname}|g' src/config.c", "sed -i -e '/-Werror/d' Makefile.am configure.ac"],
  ["mkdir -p $out/share/man/man1", "installManPage docs/%{pname}.1", "cp -r docs/html $out/share/doc/ || true"],
  ["runHook preCheck", "make check -j$NIX_BUILD_CORES VERBOSE=1 || (cat tests/test-suite.log; exit 1)", "runHook postCheck"],
  ["ln -s $out/bin/%{pname} $out/bin/%{pname}-ctl", "mkdir -p $out/share/bash-completion/completions", "echo 'complete -C %{pname} %{pname}' > $out/share/bash-completion/completions/%{pname}"],
  ["# upstream hardcodes the version; keep it in sync with the derivation", "substituteInPlace version.go --replace-fail 'dev' '%{version}'"],
  ["cat > $out/share/%{pname}/defaults.json <<EOF", "{", "  \"listen\": \"127.0.0.1:8080\",", "  \"log\": { \"level\": \"info\" }", "}", "EOF"],
];

function genPackage(c: Ctx, app: App, budget: number): Built {
  const r = c.rng;
  const finalAttrs = r.chance(0.3);
  const ver = finalAttrs ? "finalAttrs.version" : "version";
  const fetchName = (): string[] => ["fetchFromGitHub"];
  const args = ["lib", ...fetchName()];
  let builder: string;
  const e: Entry[] = [B("pname", app.name), B("version", app.version), B("src", srcFetch(c, app, ver))];
  const src = e[2]!;
  if (src.k === "bind" && src.value.k === "app" && !args.includes(src.value.fn)) args.push(src.value.fn);
  switch (app.lang) {
    case "go":
      builder = "buildGoModule";
      e.push(B("vendorHash", r.chance(0.15) ? null : r.chance(0.05) ? A("lib.fakeHash") : sri(r)));
      if (r.chance(0.5)) e.push(B("subPackages", [`cmd/${app.name}`]));
      e.push(B("ldflags", L("-s", "-w", S(`-X main.version=%{${ver}}`), ...(r.chance(0.4) ? [S(`-X github.com/${app.owner}/${app.repo}/internal/build.Commit=%{${finalAttrs ? "finalAttrs.src" : "src"}.rev or "unknown"}`)] : []))));
      if (r.chance(0.4)) e.push(B("tags", ["netgo", "osusergo"]), B("env.CGO_ENABLED", 0));
      if (r.chance(0.3)) e.push(B("doCheck", false));
      break;
    case "rust":
      builder = "rustPlatform.buildRustPackage";
      e.push(B(r.chance(0.8) ? "cargoHash" : "cargoSha256", sri(r)));
      e.push(B("nativeBuildInputs", L(A("pkg-config"))), B("buildInputs", OP("++", L(A("openssl")), APP("lib.optionals", A("stdenv.hostPlatform.isDarwin"), L(A("darwin.apple_sdk.frameworks.Security"))))));
      args.push("rustPlatform", "pkg-config", "openssl", "stdenv", "darwin");
      if (r.chance(0.3)) e.push(B("checkFlags", L("--skip=integration::network", "--skip=e2e")));
      break;
    case "python":
      builder = "python3Packages.buildPythonApplication";
      args.push("python3Packages");
      e.push(B("pyproject", true), B("build-system", WITH("python3Packages", L(A(r.pick(["setuptools", "hatchling", "poetry-core", "flit-core"]))))));
      e.push(B("dependencies", WITH("python3Packages", L(...r.sample(["requests", "click", "pydantic", "fastapi", "uvicorn", "sqlalchemy", "psycopg", "jinja2", "pyyaml", "rich", "httpx", "prometheus-client"], r.int(2, 7)).map(A)))));
      e.push(B("pythonImportsCheck", [app.name.replace(/-/g, "_")]));
      if (r.chance(0.4)) e.push(B("nativeCheckInputs", WITH("python3Packages", L(A("pytestCheckHook"), A("pytest-asyncio")))));
      break;
    case "node":
      builder = "buildNpmPackage";
      args.push("buildNpmPackage", "nodejs_20");
      e.push(B("npmDepsHash", sri(r)), B("nodejs", A("nodejs_20")));
      if (r.chance(0.5)) e.push(B("npmBuildScript", "build"), B("NODE_OPTIONS", "--openssl-legacy-provider"));
      if (r.chance(0.3)) e.push(B("dontNpmBuild", true));
      break;
    case "c":
      builder = "stdenv.mkDerivation";
      args.push("stdenv", "pkg-config", "autoreconfHook");
      e.push(B("nativeBuildInputs", L(A("pkg-config"), A("autoreconfHook"))), B("buildInputs", L(...r.sample(["zlib", "openssl", "libuv", "sqlite", "curl", "libevent"], r.int(1, 3)).map(A))));
      for (const a of ["zlib", "openssl", "libuv", "sqlite", "curl", "libevent"]) if (!args.includes(a)) args.push(a);
      e.push(B("configureFlags", L("--enable-shared", "--disable-static", S("--with-ssl=%{openssl.dev}"))));
      if (r.chance(0.5)) e.push(B("patches", L(A("./fix-build.patch"), ...(r.chance(0.3) ? [APP("fetchpatch", O({ url: `https://github.com/${app.owner}/${app.repo}/commit/${r.hex(40)}.patch`, hash: sri(r) }))] : []))));
      if (r.chance(0.5)) e.push(B("enableParallelBuilding", true));
      break;
    case "shell":
      builder = "stdenvNoCC.mkDerivation";
      args.push("stdenvNoCC", "makeWrapper", "bash", "curl", "jq", "coreutils");
      e.push(B("nativeBuildInputs", L(A("makeWrapper"))), B("dontBuild", true));
      e.push(B("installPhase", IND(["runHook preInstall", finalAttrs ? "install -Dm755 %{finalAttrs.pname}.sh $out/bin/%{finalAttrs.pname}" : "install -Dm755 %{pname}.sh $out/bin/%{pname}", finalAttrs ? "wrapProgram $out/bin/%{finalAttrs.pname} --prefix PATH : %{lib.makeBinPath [ bash curl jq coreutils ]}" : "wrapProgram $out/bin/%{pname} --prefix PATH : %{lib.makeBinPath [ bash curl jq coreutils ]}", "runHook postInstall"])));
  }
  const phaseNames = r.sample(["postPatch", "preBuild", "postInstall", "preCheck", "postFixup", "preConfigure", "checkPhase", "preInstall"], 8);
  const sizeBudget = budget - 600;
  const snippets = r.sample(BUILD_SNIPPETS, BUILD_SNIPPETS.length);
  const fixRef = (l: string): string => (finalAttrs ? l.replace(/%\{pname\}/g, "%{finalAttrs.pname}").replace(/%\{version\}/g, "%{finalAttrs.version}").replace(/ pname\}/g, " finalAttrs.pname}") : l);
  let phaseIdx = 0;
  while (measure(e) < sizeBudget && phaseIdx < phaseNames.length && snippets.length) {
    const lines: string[] = [];
    const nSnip = r.int(1, 2);
    for (let i = 0; i < nSnip && snippets.length; i++) lines.push(...snippets.pop()!.map(fixRef));
    e.push(B(phaseNames[phaseIdx++]!, IND(lines)));
  }
  const longDescription = measure(e) < sizeBudget
    ? IND([
      `${app.name} is a ${app.lang} program maintained by ${app.owner}. It runs as a long-lived`,
      "service, exposes Prometheus metrics, and reads its configuration from a TOML",
      "file or from environment variables prefixed with the program name.",
      "",
      "This package builds the command line tool and the daemon; the NixOS module in",
      "this repository wires it into systemd with a hardened sandbox.",
    ])
    : null;
  if (e.some((x) => x.k === "bind" && x.path[0] === "postInstall") && !args.includes("installShellFiles")) {
    args.push("installShellFiles");
    e.push(B("nativeBuildInputs", L(A("installShellFiles"))));
  }
  if (r.chance(0.3)) e.push(B("passthru.updateScript", APP("nix-update-script", O({}))));
  if (r.chance(0.2)) e.push(B("passthru.tests.version", APP("testers.testVersion", O({ package: A(finalAttrs ? "finalAttrs.finalPackage" : app.name) }))));
  e.push(B("meta", metaBlock(c, app, finalAttrs, longDescription)));
  if (e.some((x) => x.k === "bind" && x.path[0] === "passthru" && x.value.k === "app" && x.value.fn === "nix-update-script")) args.push("nix-update-script");
  if (e.some((x) => x.k === "bind" && x.path.join(".") === "passthru.tests.version")) args.push("testers", ...(finalAttrs ? [] : [app.name]));
  if (src.k === "bind" && src.value.k === "app" && JSON.stringify(e).includes("fetchpatch")) args.push("fetchpatch");
  const body = finalAttrs ? APP(builder, LAM("finalAttrs:", SET(e, 1))) : APP(builder, REC(e, 1));
  const text = render(body, 0);
  for (const a of PKG_ARGS) if (new RegExp(`(?<![\\w.'-])${a}(?![\\w'-])`).test(text)) args.push(a);
  const uniqArgs = [...new Set(args)];
  const head = formals(uniqArgs.filter((a) => !a.includes(".")), { multiline: r.chance(0.6) });
  return { expr: LAM(head, body, true), header: [], inject: null };
}

function genPkgsIndex(c: Ctx): Built {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = f.apps.map((a) => B([a.name], APP("pkgs.callPackage", A(`./${a.name}`), O({}))));
  if (r.chance(0.5)) e.push(B(uniq(c, "fleet-scripts"), APP("pkgs.writeShellApplication", O({
    name: "fleet-deploy",
    runtimeInputs: WITH("pkgs", L(A("openssh"), A("nix"), A("jq"), A("coreutils"))),
    text: IND([
      "set -euo pipefail",
      "host=\"${1:?usage: fleet-deploy HOST}\"",
      `flake="\${FLAKE:-.}"`,
      "nix build \"$flake#nixosConfigurations.$host.config.system.build.toplevel\" --out-link \"result-$host\"",
      `nix copy --to "ssh://root@$host.${f.domain}" "./result-$host"`,
      `ssh "root@$host.${f.domain}" "$(readlink -f ./result-$host)/bin/switch-to-configuration switch"`,
    ]),
  }))));
  for (let i = 0, n0 = r.int(1, 9); i < n0; i++) {
    const n = uniq(c, r.pick(["check-certs", "rotate-keys", "db-dump", "sync-dns", "prune-images", "fleet-status", "list-generations", "gc-old-builds", "show-failed-units", "ssh-all"]));
    e.push(B([n], APP("pkgs.writeShellScriptBin", n, IND(["set -eu", `echo "${n} on $(hostname)"`, `%{pkgs.${r.pick(["curl", "jq", "openssl", "postgresql", "skopeo", "dig"])}}/bin/${r.pick(["curl -fsS https://status.internal/", "jq .", "openssl version", "pg_dumpall --version", "skopeo --version", "dig +short example.org"])}`]))));
  }
  c.libStyle = "qualified";
  const head = r.chance(0.6) ? formals(["pkgs ? import <nixpkgs> { }"], { ellipsis: r.chance(0.5) }) : "pkgs:";
  return { expr: LAM(head, SET(e, 0.9), true), header: r.chance(0.5) ? ["Custom packages, that can be defined similarly to ones from nixpkgs", "You can build them using 'nix build .#example'"] : [], inject: null };
}

function genOverlays(c: Ctx): Built {
  const r = c.rng;
  const f = c.fleet;
  const mods: Entry[] = [];
  for (const p of r.sample(["nginx", "openssh", "tmux", "htop", "curl", "git", "zsh", "postgresql_16", "redis", "caddy", "haproxy", "wireguard-tools", "rsync", "restic", "prometheus", "grafana", "vim", "neovim"], r.int(2, 10))) {
    const kind = r.int(0, 2);
    if (kind === 0) mods.push(B([p], APP(`prev.${p}.overrideAttrs`, LAM("old:", O({ patches: OP("++", A("(old.patches or [ ])"), L(A(`./patches/${p}-${r.pick(["fix", "backport", "hardening"])}.patch`))) }, 1)))));
    else if (kind === 1) mods.push(B([p], APP(`prev.${p}.override`, O({ [r.pick(["withSystemd", "withKerberos", "enableStatic", "withDebug"])]: r.chance(0.5) }))));
    else mods.push(B([p], APP(`prev.${p}.overrideAttrs`, LAM("finalAttrs: previousAttrs:", O({ version: version(r), src: APP("prev.fetchurl", O({ url: `https://example.${r.pick(TLDS)}/${p}-${version(r)}.tar.gz`, hash: sri(r) })) }, 1)))));
  }
  const e: Entry[] = [
    B("additions", LAM("final: _prev:", APP("import", A("../pkgs"), O({ pkgs: A("final") })))),
    B("modifications", LAM("final: prev:", SET(mods, 1))),
  ];
  if (r.chance(0.7)) e.push(B("unstable-packages", LAM("final: _prev:", O({ unstable: APP("import", A("inputs.nixpkgs-unstable"), O({ system: A("final.system"), "config.allowUnfree": true })) }, 1))));
  void f;
  c.libStyle = "qualified";
  return { expr: LAM(formals(["inputs"], { ellipsis: true }), SET(e, 1), true), header: ["This file defines overlays"], inject: null };
}

function genLib(c: Ctx): Built {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = [
    B("mkHost", LAM("name:", LAM("{ system ? \"x86_64-linux\", extraModules ? [ ] }:", APP("inputs.nixpkgs.lib.nixosSystem", O({
      system: A("system"),
      specialArgs: SET([INH(["inputs"]), B("hostName", A("name"))]),
      modules: OP("++", L(S(`%{self}/hosts/%{name}`), O({ "networking.hostName": A("name") })), A("extraModules")),
    }, 1))))),
    B("mapHosts", LAM("dir:", APP("lib.mapAttrs", LAM("name: _:", APP("mkHost", A("name"), O({}))), APP("lib.filterAttrs", LAM("_: type:", C(`type == "directory"`)), APP("builtins.readDir", A("dir")))))),
    B("recursiveMerge", APP("builtins.foldl'", A("lib.recursiveUpdate"), O({}))),
    B("mkSecretName", LAM("host: name:", S("%{host}/%{name}"))),
    B("wgPeers", LAM("hosts: self:", APP("lib.mapAttrsToList", LAM("name: h:", O({ publicKey: A("h.wgPublicKey"), allowedIPs: L(S("%{h.wgIp}/32")), endpoint: S(`%{name}.${f.domain}:${f.wgPort}`) })), APP("lib.filterAttrs", LAM("n: _:", C("n != self")), A("hosts"))))),
    B("enableAll", LAM("names:", APP("lib.genAttrs", A("names"), LAM("_:", O({ enable: true }))))),
    B("optionalImport", LAM("path:", IF("builtins.pathExists path", L(A("path")), L()))),
    B("portsOf", LAM("services:", APP("lib.unique", APP("lib.flatten", APP("map", LAM("s:", C("s.ports or [ ]")), APP("builtins.attrValues", A("services"))))))),
  ];
  const hostsTable: Entry[] = f.hosts.map((h) => B([h.name], O({ wgIp: h.wgIp, wgPublicKey: h.wgPub, system: h.system, role: h.role }, 1)));
  e.push(B("hosts", SET(hostsTable, 1)));
  if (r.chance(0.5)) e.push(B("ports", O(Object.fromEntries(f.apps.map((a) => [a.name, a.port])), 1)));
  c.libStyle = "qualified";
  return { expr: LAM(formals(["lib", "inputs", "self"], { ellipsis: true }), REC(e, 1), true), header: [], inject: null };
}

function genHome(c: Ctx, u: User, budget: number): Built {
  const r = c.rng;
  const f = c.fleet;
  const e: Entry[] = [
    B("home.username", u.name),
    B("home.homeDirectory", S(`/home/%{config.home.username}`)),
    B("home.stateVersion", f.release),
    B("home.packages", WITH("pkgs", L(...r.sample(PKGS, r.int(4, 30)).map(A)))),
    B("programs.home-manager.enable", true),
  ];
  const sections: Section[] = [
    () => [B("programs.git", O({
      enable: true, userName: u.full, userEmail: u.email,
      ...(r.chance(0.5) ? { signing: O({ key: u.keys[0]!.split(" ").slice(0, 2).join(" "), signByDefault: true }), "extraConfig.gpg.format": "ssh" } : {}),
      aliases: O({ co: "checkout", st: "status -sb", lg: "log --graph --oneline --decorate", amend: "commit --amend --no-edit" }),
      extraConfig: O({ "init.defaultBranch": "main", "pull.rebase": true, "push.autoSetupRemote": true, "rerere.enabled": true }),
      ignores: [".direnv", "result", "result-*", ".envrc.local", "*.swp"],
      ...(r.chance(0.4) ? { delta: O({ enable: true, "options.navigate": true }) } : {}),
    }, 0.9))],
    () => [B("programs.zsh", O({
      enable: true, autosuggestion: O({ enable: true }), syntaxHighlighting: O({ enable: true }), enableCompletion: true,
      shellAliases: O({ ll: "eza -l --git", la: "eza -la", g: "git", k: "kubectl", rebuild: "sudo nixos-rebuild switch --flake ~/src/nixos-config", '".."': "cd .." }),
      history: O({ size: 100000, ignoreDups: true, share: true, path: S("%{config.xdg.dataHome}/zsh/history") }),
      [r.chance(0.5) ? "initExtra" : "initContent"]: IND([
        "bindkey -e",
        "bindkey '^[[1;5C' forward-word",
        "bindkey '^[[1;5D' backward-word",
        "export PATH=\"$HOME/.local/bin:$PATH\"",
        "mkcd() { mkdir -p \"$1\" && cd \"$1\"; }",
        "if [ -f \"$HOME/.zshrc.local\" ]; then",
        "  source \"$HOME/.zshrc.local\"",
        "fi",
        "zstyle ':completion:*' matcher-list 'm:{a-z}={A-Za-z}'",
      ]),
    }, 0.9))],
    () => [B("programs.tmux", O({ enable: true, clock24: true, keyMode: "vi", terminal: "tmux-256color", historyLimit: 50000, escapeTime: 0, plugins: WITH("pkgs.tmuxPlugins", L(A("sensible"), A("yank"), A("resurrect"))), extraConfig: IND(["set -g mouse on", "bind | split-window -h -c \"#{pane_current_path}\"", "bind - split-window -v -c \"#{pane_current_path}\"", "set -ga terminal-overrides ',*256col*:Tc'"]) }, 0.9))],
    () => [B("programs.ssh", O({ enable: true, [`matchBlocks`]: SET([...f.hosts.slice(0, r.int(1, 8)).map((h) => B([h.name], O({ hostname: `${h.name}.${f.domain}`, user: r.chance(0.5) ? "root" : u.name, identityFile: "~/.ssh/id_ed25519", ...(r.chance(0.3) ? { port: 2222 } : {}), ...(r.chance(0.2) ? { proxyJump: `gw.${f.domain}` } : {}) }, 1))), B(["*"], O({ serverAliveInterval: 60, forwardAgent: false }))]) }, 0.9))],
    () => [B("programs.starship", O({ enable: true, settings: O({ add_newline: false, format: "$directory$git_branch$git_status$nix_shell$character", "character.success_symbol": "[➜](bold green)", "nix_shell.symbol": "❄️ " }) }))],
    () => [B("programs.neovim", O({ enable: true, defaultEditor: true, viAlias: true, vimAlias: true, plugins: WITH("pkgs.vimPlugins", L(A("telescope-nvim"), A("nvim-treesitter.withAllGrammars"), A("gitsigns-nvim"), A("lualine-nvim"))), extraLuaConfig: IND(["vim.opt.number = true", "vim.opt.relativenumber = true", "vim.opt.expandtab = true", "vim.opt.shiftwidth = 2", "vim.g.mapleader = ' '", "require('lualine').setup({ options = { theme = 'auto' } })", "vim.keymap.set('n', '<leader>ff', require('telescope.builtin').find_files)"]) }, 0.9))],
    () => [B("programs.direnv", O({ enable: true, "nix-direnv.enable": true })), B("programs.fzf", O({ enable: true, enableZshIntegration: true }))],
    () => [B("home.sessionVariables", O({ EDITOR: r.pick(["nvim", "hx", "vim"]), BROWSER: "firefox", MANPAGER: "sh -c 'col -bx | bat -l man -p'", GOPATH: S("%{config.home.homeDirectory}/go") }))],
    () => [B(["xdg", "configFile", `${r.pick(["alacritty", "foot", "kitty", "wezterm"])}/${uniq(c, "config")}`, "text"], IND(["# generated by home-manager", "font_family JetBrains Mono", `font_size ${r.int(9, 14)}.0`, "scrollback_lines 10000", "confirm_os_window_close 0"]))],
    () => [B("services.gpg-agent", O({ enable: true, enableSshSupport: r.chance(0.5), defaultCacheTtl: 3600, pinentryPackage: A("pkgs.pinentry-curses") }))],
    () => [B("programs.atuin", O({ enable: true, settings: O({ auto_sync: true, sync_frequency: "5m", sync_address: `https://atuin.${f.domain}`, search_mode: "fuzzy" }) }))],
    () => [B(["home", "file", `.config/${uniq(c, r.pick(APP_WORDS))}/config.json`, "text"], APP("builtins.toJSON", O({ server: `https://${r.pick(APP_WORDS)}.${f.domain}`, user: u.name, theme: r.pick(["dark", "light"]) })))],
  ];
  fill(c, e, budget, sections, [sections[8]!, sections[11]!]);
  return { expr: moduleFile(c, ["config", "pkgs", "lib"], [], SET(e, f.nest)), header: [], inject: e };
}

function genWgMesh(c: Ctx): Built {
  const r = c.rng;
  const f = c.fleet;
  const hostsSet = SET(f.hosts.map((h) => B([h.name], O({ ip: h.wgIp, publicKey: h.wgPub, endpoint: `${h.name}.${f.domain}:${f.wgPort}` }, 1))), 1);
  const lets: Entry[] = [
    B("hosts", hostsSet),
    B("self", A("hosts.${config.networking.hostName}")),
    B("others", APP(lf(c, "filterAttrs"), LAM("name: _:", C("name != config.networking.hostName")), A("hosts"))),
  ];
  const body: Entry[] = [
    B("networking.wireguard.interfaces.wg0", O({
      ips: L(S("%{self.ip}/24")),
      listenPort: f.wgPort,
      privateKeyFile: secretRef(c, "wireguard/wg0"),
      peers: APP(lf(c, "mapAttrsToList"), LAM("name: peer:", SET([INH(["publicKey", "endpoint"], "peer"), B("allowedIPs", L(S("%{peer.ip}/32"))), B("persistentKeepalive", 25)], 1)), A("others")),
    }, 0.95)),
    B("networking.firewall.allowedUDPPorts", L(f.wgPort)),
    ...secretDecl(c, "wireguard/wg0", "systemd-network", null),
  ];
  if (r.chance(0.5)) body.push(B("networking.firewall.trustedInterfaces", L("wg0")));
  if (r.chance(0.4)) body.push(B("networking.hosts", APP(lf(c, "mapAttrs'"), LAM("name: h:", APP(lf(c, "nameValuePair"), A("h.ip"), L(A("name"), S(`%{name}.wg.${f.domain}`)))), A("hosts"))));
  return { expr: moduleFile(c, ["config", "lib"], lets, SET(body, f.nest)), header: r.chance(0.5) ? ["WireGuard full mesh between all hosts of the fleet."] : [], inject: body };
}

function genCommon(c: Ctx, kind: string, budget: number): Built {
  const r = c.rng;
  const f = c.fleet;
  let e: Entry[];
  switch (kind) {
    case "nix": e = [...secNix(c)]; if (r.chance(0.5)) e.push(B("nixpkgs.config.allowUnfree", true)); if (r.chance(0.4)) e.push(B("nixpkgs.overlays", L(A("outputs.overlays.additions"), A("outputs.overlays.modifications")))); break;
    case "users": e = secUsers(c); break;
    case "ssh": e = secSsh(c); break;
    case "monitoring": e = secMonitoring(c); break;
    case "locale": e = [...secLocale(c), ...secMisc(c)]; break;
    default: e = [...secPackages(c), ...secMisc(c)];
  }
  fill(c, e, budget, [], kind === "users" || kind === "nix" ? [secMisc, secEtc] : [secSystemd, secEtc, secMisc]);
  const args = ["config", "lib", "pkgs", ...(JSON.stringify(e).includes("outputs.") ? ["outputs"] : []), ...(JSON.stringify(e).includes("inputs.") ? ["inputs"] : [])];
  return { expr: moduleFile(c, args, [], SET(e, f.nest)), header: [], inject: e };
}

function genModulesIndex(c: Ctx): Built {
  const r = c.rng;
  const f = c.fleet;
  const items: Expr[] = f.apps.map((a) => A(`./${a.name}.nix`));
  if (r.chance(0.5)) {
    c.libStyle = "qualified";
    return { expr: LAM(formals([], { ellipsis: true }), O({ imports: mk({ k: "list", items }) }), true), header: [], inject: null };
  }
  const e: Entry[] = f.apps.map((a) => B([a.name], APP("import", A(`./${a.name}.nix`))));
  e.push(B("default", O({ imports: mk({ k: "list", items: f.apps.map((a) => A(`./${a.name}.nix`)) }) })));
  return { expr: SET(e, 1), header: ["Reusable NixOS modules, exported as nixosModules"], inject: null };
}

function genAgeSecrets(c: Ctx): Built {
  const f = c.fleet;
  const lets: Entry[] = [];
  for (const u of f.users) lets.push(B([u.name], u.keys[0]!));
  for (const h of f.hosts) lets.push(B([h.name], h.hostKey));
  lets.push(B("users", L(...f.users.map((u) => A(u.name)))), B("systems", L(...f.hosts.map((h) => A(h.name)))));
  const e: Entry[] = [];
  for (const h of f.hosts) e.push(B([`wireguard-${h.name}.age`, "publicKeys"], OP("++", A("users"), L(A(h.name)))));
  for (const s of ["restic-password", "restic-env", "tailscale-authkey", "acme-dns", ...f.apps.map((a) => `${a.name}-env`)]) e.push(B([`${s}.age`, "publicKeys"], OP("++", A("users"), A("systems"))));
  return { expr: LET(lets, SET(e, 1)), header: ["agenix rules: which keys may decrypt each secret"], inject: null };
}

function genFlake(c: Ctx): Built {
  const r = c.rng;
  const f = c.fleet;
  const branch = `nixos-${f.release}`;
  const lock: LockInput[] = [];
  const inputs: Entry[] = [];
  const plain = (name: string, url: string): void => {
    inputs.push(B([name, "url"], url));
    lock.push({ name, url, follows: false, flake: true });
  };
  const follows = (name: string, url: string): void => {
    if (r.chance(0.5)) inputs.push(B([name], O({ url, "inputs.nixpkgs.follows": "nixpkgs" })));
    else inputs.push(B([name, "url"], url), B([name, "inputs", "nixpkgs", "follows"], "nixpkgs"));
    lock.push({ name, url, follows: true, flake: true });
  };
  plain("nixpkgs", `github:${r.pick(["NixOS", "nixos"])}/nixpkgs/${branch}`);
  if (r.chance(0.6)) plain("nixpkgs-unstable", "github:nixos/nixpkgs/nixos-unstable");
  if (f.hm) follows("home-manager", `github:nix-community/home-manager/release-${f.release}`);
  if (f.secrets === "sops") follows("sops-nix", "github:Mic92/sops-nix");
  if (f.secrets === "agenix") follows("agenix", "github:ryantm/agenix");
  if (f.hosts.some((h) => h.disko)) follows("disko", "github:nix-community/disko");
  if (f.deploy === "deploy-rs") follows("deploy-rs", "github:serokell/deploy-rs");
  if (f.deploy === "comin") follows("comin", "github:nlewo/comin");
  if (r.chance(0.3)) plain("nixos-hardware", "github:NixOS/nixos-hardware/master");
  if (r.chance(0.3)) plain("flake-utils", "github:numtide/flake-utils");
  if (r.chance(0.2)) plain("impermanence", "github:nix-community/impermanence");
  if (r.chance(0.15)) {
    const url = `git+ssh://git@github.com/${f.org}/keys.git?ref=main&rev=${r.hex(40)}`;
    inputs.push(B("private-keys", O({ url, flake: false })));
    lock.push({ name: "private-keys", url, follows: false, flake: false });
  }
  const names = lock.map((i) => i.name);

  const hostMods = (h: Host): Expr[] => {
    const m: Expr[] = [A(`./hosts/${h.name}`)];
    if (f.hm && r.chance(0.6)) {
      m.push(A("home-manager.nixosModules.home-manager"));
      m.push(O({ "home-manager.useGlobalPkgs": true, "home-manager.useUserPackages": true, "home-manager.extraSpecialArgs": SET([INH(["inputs"])]), "home-manager.users": SET(f.users.slice(0, 2).map((u) => B([u.name], APP("import", A(`./home/${u.name}.nix`))))) }, 0.9));
    }
    if (f.deploy === "comin") m.push(A("comin.nixosModules.comin"), O({ "services.comin": O({ enable: true, remotes: L(O({ name: "origin", url: `https://github.com/${f.org}/nixos-config.git`, "branches.main.name": "main" })) }) }));
    return m;
  };
  const useMkHost = r.chance(0.5);
  const outs: Entry[] = [];
  if (useMkHost) {
    outs.push(B("nixosConfigurations", SET(f.hosts.map((h) => B([h.name], APP("mkHost", h.name, h.system))), 1)));
  } else {
    outs.push(B("nixosConfigurations", SET(f.hosts.map((h) => B([h.name], APP("nixpkgs.lib.nixosSystem", O({ system: h.system, specialArgs: SET([INH(["inputs", "outputs"])]), modules: mk({ k: "list", items: hostMods(h) }) }, 1)))), 1)));
  }
  outs.push(B("packages", APP("forAllSystems", LAM("system:", APP("import", A("./pkgs"), O({ pkgs: A("nixpkgs.legacyPackages.${system}") }))))));
  outs.push(B("overlays", APP("import", A("./overlays"), SET([INH(["inputs"])]))));
  outs.push(B("nixosModules", APP("import", A(f.layout === "nested" ? "./modules/nixos" : "./modules"))));
  outs.push(B("formatter", APP("forAllSystems", LAM("system:", A(`nixpkgs.legacyPackages.\${system}.${r.pick(["nixfmt-rfc-style", "alejandra", "nixpkgs-fmt"])}`)))));
  outs.push(B("devShells", APP("forAllSystems", LAM("system:", LET([B("pkgs", A("nixpkgs.legacyPackages.${system}"))], O({ default: APP("pkgs.mkShell", O({
    packages: WITH("pkgs", L(...r.sample(["sops", "age", "ssh-to-age", "nixfmt-rfc-style", "deadnix", "statix", "just", "jq", "git", "nixos-rebuild", "colmena"], r.int(2, 7)).map(A))),
    ...(r.chance(0.5) ? { shellHook: IND(["export SOPS_AGE_KEY_FILE=\"$HOME/.config/sops/age/keys.txt\"", "echo \"fleet shell: $(git rev-parse --short HEAD 2>/dev/null || echo dirty)\""]) } : {}),
  })) }))))));
  if (f.deploy === "deploy-rs") {
    outs.push(B("deploy.nodes", SET(f.hosts.map((h) => B([h.name], O({ hostname: `${h.name}.${f.domain}`, ...(r.chance(0.5) ? { sshUser: "root" } : {}), "profiles.system": O({ user: "root", path: C(`deploy-rs.lib.${h.system}.activate.nixos self.nixosConfigurations.${quoteKey(h.name)}`) }) }, 1))), 1)));
    outs.push(B("checks", APP("builtins.mapAttrs", LAM("system: deployLib:", APP("deployLib.deployChecks", A("self.deploy"))), A("deploy-rs.lib"))));
  }
  if (f.deploy === "colmena") {
    const col: Entry[] = [B("meta", O({ nixpkgs: APP("import", A("nixpkgs"), O({ system: "x86_64-linux", overlays: L() })), specialArgs: SET([INH(["inputs"])]) }))];
    if (r.chance(0.5)) col.push(B("defaults", LAM("{ pkgs, ... }:", O({ imports: L(A("./common")), "deployment.buildOnTarget": false }))));
    for (const h of f.hosts) col.push(B([h.name], O({ "deployment.targetHost": `${h.name}.${f.domain}`, "deployment.tags": [h.role, h.system.split("-")[0]!], imports: L(A(`./hosts/${h.name}`)) }, 0.9)));
    outs.push(B("colmena", SET(col, 1)));
  }
  if (f.hm && r.chance(0.4)) {
    outs.push(B("homeConfigurations", SET(f.users.slice(0, 3).map((u) => B([`${u.name}@${f.hosts[0]?.name ?? "laptop"}`], APP("home-manager.lib.homeManagerConfiguration", O({ pkgs: A("nixpkgs.legacyPackages.x86_64-linux"), extraSpecialArgs: SET([INH(["inputs", "outputs"])]), modules: L(A(`./home/${u.name}.nix`)) })))), 1)));
  }
  const lets: Entry[] = [INH(["outputs"], "self"), B("systems", L("x86_64-linux", "aarch64-linux")), B("forAllSystems", APP("nixpkgs.lib.genAttrs", A("systems")))];
  if (useMkHost) {
    lets.push(B("mkHost", LAM("hostname: system:", APP("nixpkgs.lib.nixosSystem", SET([INH(["system"]), B("specialArgs", SET([INH(["inputs", "outputs"])])), B("modules", L(A("./hosts/${hostname}"), ...(f.hm ? [A("home-manager.nixosModules.home-manager")] : [])))], 1)))));
  }
  const outArgs = ["self", ...names.filter((n) => ["nixpkgs", "home-manager", "deploy-rs", "comin", "disko", "sops-nix", "agenix"].includes(n))];
  const outputs = LAM(formals(outArgs, { ellipsis: true, at: "inputs" }), LET(lets, SET(outs, 1)), false);
  const top: Entry[] = [B("description", f.description), B("inputs", SET(inputs, 0.9)), B("outputs", outputs)];
  if (f.caches.length && r.chance(0.5)) top.push(B("nixConfig", O({ "extra-substituters": L(...f.caches.map(([u]) => u)), "extra-trusted-public-keys": L(...f.caches.map(([, k]) => k)) })));
  return { expr: SET(top, 1), header: [], inject: null, lock };
}

/** flake.lock with every input pinned (rev + narHash). */
function genFlakeLock(c: Ctx, inputs: LockInput[]): string {
  const r = c.rng;
  const nodes: Record<string, unknown> = {};
  const rootInputs: Record<string, string> = {};
  const base = 1_700_000_000 + r.int(0, 40_000_000);
  for (const inp of inputs) {
    const gh = /^github:([^/]+)\/([^/]+)(?:\/(.+))?$/.exec(inp.url);
    const locked: Record<string, unknown> = { lastModified: base - r.int(0, 9_000_000), narHash: sri(r) };
    const original: Record<string, unknown> = {};
    if (gh) {
      Object.assign(locked, { owner: gh[1], repo: gh[2], rev: r.hex(40), type: "github" });
      Object.assign(original, { owner: gh[1], repo: gh[2], ...(gh[3] ? { ref: gh[3] } : {}), type: "github" });
    } else {
      const url = inp.url.replace(/^git\+/, "").replace(/\?.*$/, "");
      Object.assign(locked, { ref: "refs/heads/main", rev: r.hex(40), revCount: r.int(10, 900), type: "git", url });
      Object.assign(original, { ref: "main", type: "git", url });
    }
    const node: Record<string, unknown> = { locked, original };
    if (inp.follows) node["inputs"] = { nixpkgs: ["nixpkgs"] };
    if (!inp.flake) node["flake"] = false;
    nodes[inp.name] = node;
    rootInputs[inp.name] = inp.name;
  }
  nodes["root"] = { inputs: rootInputs };
  return JSON.stringify({ nodes, root: "root", version: 7 }, null, 2) + "\n";
}

// ───────────────────────────── Planted findings ─────────────────────────────

type Category = "secret" | "store-leak" | "cache-trust";
const PLANT_KINDS = [
  "user-password", "hashed-password", "wireguard-private-key", "github-token-env", "pem-private-key",
  "writetext-password-file", "readfile-secret", "require-sigs-false", "http-substituter",
] as const;
type PlantKind = (typeof PLANT_KINDS)[number];
const PLANT_CATEGORY: Record<PlantKind, Category> = {
  "user-password": "store-leak",
  "hashed-password": "store-leak",
  "wireguard-private-key": "store-leak",
  "github-token-env": "secret",
  "pem-private-key": "secret",
  "writetext-password-file": "store-leak",
  "readfile-secret": "store-leak",
  "require-sigs-false": "cache-trust",
  "http-substituter": "cache-trust",
};

interface PlantSpec {
  kind: PlantKind;
  entry: Entry;
  /** Text that appears exactly once in the file, where the finding starts. */
  needle: string;
  attrPath: string;
  /** The value is an indented string: its text starts one line below the binding. */
  multiline: boolean;
}

interface PlantResult {
  file: string;
  line: number;
  bindingLine: number;
  category: Category;
  kind: PlantKind;
  attrPath: string;
}

// Fake secrets are assembled here so that no secret-shaped literal sits in this file.
const DASH5 = "-".repeat(5);
const GH_PREFIX = ["g", "h", "p"].join("") + "_";
const CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function fakeGithubToken(r: Rng): string {
  const body = r.chars(B62, 30);
  return GH_PREFIX + body + base62(crc32(body), 6);
}

function fakeWgPrivateKey(r: Rng): string {
  const b = r.bytes(32);
  b[0] = (b[0] as number) & 248;
  b[31] = ((b[31] as number) & 127) | 64;
  return b.toString("base64");
}

function fakeSha512Crypt(r: Rng): string {
  return ["", "6", r.chars(CRYPT64, 16), r.chars(CRYPT64, 86)].join("$");
}

function fakePem(r: Rng): string[] {
  const kind = r.int(0, 3);
  const label = [...[["OPENSSH"], ["RSA"], ["EC"], []][kind]!, "PRIVATE", "KEY"].join(" ");
  let der: Buffer;
  let width = 64;
  if (kind === 0) {
    der = Buffer.concat([Buffer.from("openssh-key-v1\0", "latin1"), Buffer.from([0, 0, 0, 4]), Buffer.from("none"), r.bytes(r.int(330, 360))]);
    width = 70;
  } else if (kind === 1) der = Buffer.concat([Buffer.from([0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]), r.bytes(1180)]);
  else if (kind === 2) der = Buffer.concat([Buffer.from([0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]), r.bytes(112)]);
  else der = Buffer.concat([Buffer.from([0x30, 0x82, 0x04, 0xbe, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]), r.bytes(1190)]);
  const b64 = der.toString("base64");
  const lines = [DASH5 + "BEGIN " + label + DASH5];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  lines.push(DASH5 + "END " + label + DASH5);
  return lines;
}

function makePlant(kind: PlantKind, r: Rng, f: Fleet, id: number): PlantSpec {
  const user = r.chance(0.5) && f.users.length ? r.pick(f.users).name : `${r.pick(FIRST)}${r.chance(0.5) ? "" : r.int(2, 9)}`;
  const app = r.pick(f.apps).name;
  const tag = `${id}`;
  const bind = (path: string[], value: V, needle: string, multiline = false): PlantSpec => ({
    kind, entry: B(path, value), needle, attrPath: path.map(keyStr).join("."), multiline,
  });
  switch (kind) {
    case "user-password": {
      const pw = r.pick(["Winter", "Summer", "Hunter", "Dragon", "Sunshine", "Changeme", "Welcome", "Passw0rd"]) + r.int(2015, 2025) + r.pick(["!", "#", "?", ""]) + r.chars(B62, 3) + tag;
      return bind(["users", "users", user, "password"], pw, pw);
    }
    case "hashed-password": {
      const h = fakeSha512Crypt(r);
      return bind(["users", "users", user, r.chance(0.8) ? "hashedPassword" : "initialHashedPassword"], h, h);
    }
    case "wireguard-private-key": {
      const k = fakeWgPrivateKey(r);
      return r.chance(0.7)
        ? bind(["networking", "wireguard", "interfaces", r.pick(["wg0", "wg1", "wg-mesh"]), "privateKey"], k, k)
        : bind(["networking", "wg-quick", "interfaces", r.pick(["wg0", "wg1"]), "privateKey"], k, k);
    }
    case "github-token-env": {
      const t = fakeGithubToken(r);
      const svc = `${app}-${r.pick(["sync", "mirror", "release", "fetch"])}${tag}`;
      const v = r.int(0, 2);
      if (v === 0) return bind(["systemd", "services", svc, "environment", r.pick(["GITHUB_TOKEN", "GH_TOKEN"])], t, t);
      if (v === 1) return bind(["systemd", "services", svc, "serviceConfig", "Environment"], [`GITHUB_TOKEN=${t}`], t);
      return bind(["environment", "variables", r.pick(["GITHUB_TOKEN", "GH_TOKEN", "NIX_GITHUB_TOKEN"])], t, t);
    }
    case "pem-private-key": {
      const lines = fakePem(r);
      return bind(["environment", "etc", `ssl/private/${app}-${tag}.key`, "text"], IND(lines), lines[0]!, true);
    }
    case "writetext-password-file": {
      const secret = r.chars(B62, r.int(20, 40)) + tag;
      const call = APP("pkgs.writeText", `${app}-${r.pick(["password", "token", "secret"])}`, secret);
      const v = r.int(0, 2);
      if (v === 0) return bind(["services", "restic", "backups", `offsite${tag}`, "passwordFile"], r.chance(0.5) ? call : S(`%{pkgs.writeText "restic-password" "${secret}"}`), secret);
      if (v === 1) return bind(["services", app, "database", "passwordFile"], call, secret);
      return bind(["services", "grafana", "settings", "database", "password"], S(`$__file{%{pkgs.writeText "grafana-db" "${secret}"}}`), secret);
    }
    case "readfile-secret": {
      const name = `${app}-${r.pick(["token", "api-key", "password", "secret"])}${tag}`;
      const p = `${r.pick(["./", "../", "../../"])}secrets/${name}`;
      const read = APP("builtins.readFile", A(p));
      const v = r.int(0, 2);
      if (v === 0) return bind(["services", app, "apiKey"], read, p);
      if (v === 1) return bind(["environment", "etc", `${app}/token-${tag}`, "text"], read, p);
      return bind(["systemd", "services", `${app}${tag}`, "environment", "API_TOKEN"], read, p);
    }
    case "require-sigs-false":
      return bind(["nix", "settings", "require-sigs"], false, "require-sigs = false");
    case "http-substituter": {
      const url = r.chance(0.5) ? `http://10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}:${r.pick([5000, 8080, 80])}` : `http://cache${tag}.${f.domain}`;
      return bind(["nix", "settings", r.chance(0.7) ? "substituters" : "extra-substituters"], L(url), url);
    }
  }
}

// ───────────────────────────── Plan, render, write ─────────────────────────────

type FileKind =
  | "flake" | "host" | "hardware" | "disko" | "module" | "modindex" | "package" | "pkgsindex"
  | "overlays" | "lib" | "home" | "common" | "wgmesh" | "agesecrets";

interface FilePlan {
  path: string;
  kind: FileKind;
  fleet: Fleet;
  host: Host | null;
  app: App | null;
  user: User | null;
  sub: string;
  budget: number;
  plants: Array<{ kind: PlantKind; id: number }>;
}

const PLANTABLE: ReadonlySet<FileKind> = new Set<FileKind>(["host", "module", "common", "wgmesh"]);

/** Rough bytes each kind renders to, for planning (budgeted kinds use their budget). */
const EST: Partial<Record<FileKind, number>> = { flake: 7000, modindex: 500, pkgsindex: 1800, overlays: 1500, lib: 3500, agesecrets: 3500, disko: 2000, wgmesh: 3500 };

function planFleet(rng: Rng, f: Fleet): FilePlan[] {
  const out: FilePlan[] = [];
  const add = (path: string, kind: FileKind, budget: number, extra: Partial<Pick<FilePlan, "host" | "app" | "user" | "sub">> = {}): void => {
    out.push({ path: `${f.dir}/${path}`, kind, fleet: f, host: extra.host ?? null, app: extra.app ?? null, user: extra.user ?? null, sub: extra.sub ?? "", budget, plants: [] });
  };
  add("flake.nix", "flake", EST.flake!);
  for (const h of f.hosts) {
    add(`hosts/${h.name}/default.nix`, "host", Math.round(rng.logUniform(3000, 26000)), { host: h });
    if (h.disko) add(`hosts/${h.name}/disko.nix`, "disko", EST.disko!, { host: h });
    else add(`hosts/${h.name}/hardware-configuration.nix`, "hardware", Math.round(rng.logUniform(2000, 4500)), { host: h });
  }
  const modDir = f.layout === "nested" ? "modules/nixos" : "modules";
  for (const a of f.apps) add(`${modDir}/${a.name}.nix`, "module", Math.round(rng.logUniform(3000, 30000)), { app: a });
  add(`${modDir}/default.nix`, "modindex", EST.modindex!);
  for (const k of rng.sample(["nix", "users", "ssh", "monitoring", "locale", "packages"], rng.int(2, 6))) {
    add(`common/${k}.nix`, "common", Math.round(rng.logUniform(2000, 12000)), { sub: k });
  }
  if (rng.chance(0.5)) add("common/wireguard.nix", "wgmesh", EST.wgmesh!);
  for (const a of f.apps) if (rng.chance(0.7)) add(`pkgs/${a.name}/default.nix`, "package", Math.round(rng.logUniform(2000, 8000)), { app: a });
  add("pkgs/default.nix", "pkgsindex", EST.pkgsindex!);
  add("overlays/default.nix", "overlays", EST.overlays!);
  if (rng.chance(0.5)) add("lib/default.nix", "lib", EST.lib!);
  if (f.hm) for (const u of f.users.slice(0, rng.int(1, 3))) add(`home/${u.name}.nix`, "home", Math.round(rng.logUniform(2500, 16000)), { user: u });
  if (f.secrets === "agenix") add("secrets/secrets.nix", "agesecrets", EST.agesecrets!);
  return out;
}

function buildFile(p: FilePlan, seedBasis: number): { ctx: Ctx; built: Built } {
  const c = newCtx(seedBasis, p.fleet, p.host, p.path);
  if (!["host", "module", "home", "common", "wgmesh"].includes(p.kind)) c.libStyle = "qualified";
  let built: Built;
  switch (p.kind) {
    case "flake": c.libStyle = "qualified"; built = genFlake(c); break;
    case "host": built = genHost(c, p.budget); break;
    case "hardware": built = genHardware(c, p.budget); break;
    case "disko": built = genDisko(c); break;
    case "module": built = genModule(c, p.app!, p.budget); break;
    case "modindex": built = genModulesIndex(c); break;
    case "package": c.libStyle = "qualified"; built = genPackage(c, p.app!, p.budget); break;
    case "pkgsindex": built = genPkgsIndex(c); break;
    case "overlays": built = genOverlays(c); break;
    case "lib": built = genLib(c); break;
    case "home": built = genHome(c, p.user!, p.budget); break;
    case "common": built = genCommon(c, p.sub, p.budget); break;
    case "wgmesh": built = genWgMesh(c); break;
    case "agesecrets": built = genAgeSecrets(c); break;
  }
  return { ctx: c, built };
}

function renderFile(b: Built): string {
  const head = b.header.length ? b.header.map((l) => "# " + l).join("\n") + "\n" : "";
  return head + render(b.expr, 0) + "\n";
}

function countOf(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

function lineOf(text: string, idx: number): number {
  let n = 1;
  for (let i = 0; i < idx; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

interface Options {
  out: string;
  megabytes: number;
  seed: number;
  plant: number;
  plantGiven: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      megabytes: { type: "string", default: "50" },
      seed: { type: "string", default: "1" },
      plant: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const usage = "usage: node dist/bench/generate-corpus.js --out DIR [--megabytes 50] [--seed 1] [--plant N]";
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!values.out) throw new Error(`--out is required\n${usage}`);
  const megabytes = Number(values.megabytes);
  const seed = Number(values.seed);
  const plant = values.plant === undefined ? 0 : Number(values.plant);
  if (!(megabytes > 0)) throw new Error("--megabytes must be a positive number");
  if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");
  if (!Number.isInteger(plant) || plant < 0) throw new Error("--plant must be a non-negative integer");
  return { out: values.out, megabytes, seed, plant, plantGiven: values.plant !== undefined };
}

function main(): void {
  const opt = parseOptions(process.argv.slice(2));
  const target = Math.round(opt.megabytes * 1024 * 1024);
  const seedBasis = hash32(`hostplane-corpus:${opt.seed}`);
  const planRng = new Rng(hash32("plan", seedBasis));

  // 1. Plan fleets until the estimated size reaches the target.
  const plans: FilePlan[] = [];
  const fleets: Fleet[] = [];
  let est = 0;
  const planOne = (): void => {
    const f = makeFleet(planRng, fleets.length + 1);
    fleets.push(f);
    for (const p of planFleet(planRng, f)) {
      plans.push(p);
      est += p.budget;
    }
    est += 3500; // flake.lock and key files
  };
  while (est < target) planOne();

  // 2. Assign plants to random eligible files, cycling through the kinds.
  const plantRng = new Rng(hash32("plants", seedBasis));
  const eligible = plans.filter((p) => PLANTABLE.has(p.kind));
  const kinds = plantRng.sample(PLANT_KINDS, PLANT_KINDS.length);
  for (let i = 0; i < opt.plant; i++) plantRng.pick(eligible).plants.push({ kind: kinds[i % kinds.length]!, id: i + 1 });

  // 3. Render and write.
  const made = new Set<string>();
  const write = (rel: string, text: string): number => {
    const abs = join(opt.out, rel);
    const dir = dirname(abs);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(abs, text);
    return Buffer.byteLength(text);
  };
  const results: PlantResult[] = [];
  const sizes = new Map<string, number>();
  let bytes = 0;
  let files = 0;
  const deferred: Array<{ kind: PlantKind; id: number }> = [];
  const emitFleetExtras = (f: Fleet, flakeLock: string): void => {
    bytes += write(`${f.dir}/flake.lock`, flakeLock);
    files++;
    for (const u of f.users) {
      bytes += write(`${f.dir}/hosts/keys/${u.name}.pub`, u.keys.join("\n") + "\n");
      files++;
    }
    if (f.secrets === "sops") {
      const age = (): string => "age1" + new Rng(hash32(f.dir + files, seedBasis)).chars("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58);
      const text = ["keys:", ...f.users.map((u) => `  - &${u.name} ${age()}`), ...f.hosts.map((h) => `  - &host_${h.name} ${age()}`), "creation_rules:", "  - path_regex: secrets/[^/]+\\.(yaml|json|env|ini)$", "    key_groups:", "      - age:", ...f.users.map((u) => `          - *${u.name}`), ...f.hosts.map((h) => `          - *host_${h.name}`), ""].join("\n");
      bytes += write(`${f.dir}/.sops.yaml`, text);
      files++;
    }
  };

  const renderPlan = (p: FilePlan): void => {
    const { ctx, built } = buildFile(p, seedBasis);
    let text = renderFile(built);
    const accepted: PlantSpec[] = [];
    for (const pl of p.plants) {
      const r = new Rng(hash32(`${p.path}#${pl.id}`, seedBasis));
      let ok = false;
      for (let attempt = 0; attempt < 8 && built.inject; attempt++) {
        const spec = makePlant(pl.kind, r, p.fleet, pl.id);
        built.inject.push(spec.entry);
        const t = renderFile(built);
        if (countOf(t, spec.needle) === 1 && accepted.every((a) => countOf(t, a.needle) === 1)) {
          accepted.push(spec);
          text = t;
          ok = true;
          break;
        }
        built.inject.pop();
      }
      if (!ok) deferred.push(pl);
    }
    for (const a of accepted) {
      const idx = text.indexOf(a.needle);
      const line = lineOf(text, idx);
      results.push({ file: p.path, line, bindingLine: a.multiline ? line - 1 : line, category: PLANT_CATEGORY[a.kind], kind: a.kind, attrPath: a.attrPath });
    }
    const n = write(p.path, text);
    sizes.set(p.path, n);
    bytes += n;
    files++;
    if (p.kind === "flake" && built.lock && !sizes.has(`${p.path}.lock`)) {
      sizes.set(`${p.path}.lock`, 0);
      emitFleetExtras(p.fleet, genFlakeLock(ctx, built.lock));
    }
  };

  for (const p of plans) renderPlan(p);

  // Plants that collided with existing attributes go to other files (re-rendered in place;
  // the file's earlier plants come out identically, their seeds depend only on path and id).
  for (let guard = 0; deferred.length && guard < 1000; guard++) {
    const pl = deferred.shift()!;
    const p = plantRng.pick(eligible);
    if (p.plants.some((x) => x.kind === pl.kind)) {
      deferred.push(pl);
      continue;
    }
    for (let i = results.length - 1; i >= 0; i--) if (results[i]!.file === p.path) results.splice(i, 1);
    bytes -= sizes.get(p.path) ?? 0;
    files--;
    p.plants.push(pl);
    const before = deferred.length;
    renderPlan(p);
    if (deferred.length > before) p.plants = p.plants.filter((x) => x.id !== pl.id);
  }
  if (deferred.length) throw new Error(`could not place ${deferred.length} planted findings`);

  // 4. Top up with extra fleets if rendering came in under the target.
  while (bytes < target) {
    planOne();
    const f = fleets[fleets.length - 1]!;
    for (const p of plans.filter((x) => x.fleet === f)) renderPlan(p);
  }

  if (opt.plantGiven) {
    results.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    const planted = { generator: "bench/generate-corpus", seed: opt.seed, megabytes: opt.megabytes, count: results.length, plants: results };
    writeFileSync(join(opt.out, "planted.json"), JSON.stringify(planted, null, 2) + "\n");
  }
  console.log(`wrote ${files} files, ${(bytes / 1048576).toFixed(1)} MiB, ${fleets.length} fleets to ${opt.out}` + (opt.plantGiven ? `; planted ${results.length} (see planted.json)` : ""));
  if (process.env["CORPUS_DEBUG"]) {
    console.error(`attribute conflicts dropped: ${stats.conflicts}`);
    for (const [k, n] of [...stats.paths].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.error(`  ${n}\t${k}`);
  }
}

main();
