/**
 * pinning/* over Nix sources: `<nixpkgs>` lookups, builtin fetchers without a
 * hash or rev, and flake.nix inputs that are indirect or missing from flake.lock.
 */
import type { Expr, ExprOf } from "../nix/ast.js";
import type { RuleMeta } from "../rule-meta.js";
import { baseName, type Call } from "../analyze/calls.js";
import type { DefEvent, Site, WalkHandlers } from "../analyze/walk.js";
import { literalValue, type RuleContext } from "./context.js";

const meta = (id: string, severity: RuleMeta["severity"], title: string, help: string, bad: string, good: string): RuleMeta => ({
  id: `pinning/${id}`, category: "pinning", severity, title, help, bad, good,
});

export const PINNING_NIX_RULES: RuleMeta[] = [
  meta("search-path", "error", "Lookup path <…> depends on the machine's NIX_PATH",
    "`<nixpkgs>` resolves through NIX_PATH or the flake registry of whoever evaluates it, so two hosts built from the same commit can get different nixpkgs. Take nixpkgs from a flake input, or from a fetcher pinned by rev and hash.",
    `pkgs = import <nixpkgs> { };`,
    `pkgs = import inputs.nixpkgs { system = "x86_64-linux"; };`),
  meta("unpinned-fetch", "error", "Builtin fetcher without a hash or revision",
    "`builtins.fetchTarball`, `fetchGit`, `fetchurl` and `fetchTree` without `sha256`/`hash`/`narHash` (or, for Git, a `rev`) fetch whatever the URL serves today. The evaluation is impure and not reproducible. Pin the revision and the content hash.",
    `nixpkgs = builtins.fetchTarball "https://github.com/NixOS/nixpkgs/archive/nixos-26.05.tar.gz";`,
    `nixpkgs = builtins.fetchTarball {\n  url = "https://github.com/NixOS/nixpkgs/archive/<rev>.tar.gz";\n  sha256 = "<hash>";\n};`),
  meta("indirect-flake-input", "error", "Flake input resolved through the flake registry",
    "`inputs.nixpkgs.url = \"nixpkgs\"` (or `flake:…`) is an indirect reference: what it means depends on the registry of the machine that locks it. Name the repository and branch explicitly.",
    `inputs.nixpkgs.url = "nixpkgs";`,
    `inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";`),
  meta("input-not-locked", "error", "flake.nix input missing from flake.lock",
    "An input declared in flake.nix but absent from flake.lock is resolved afresh on every evaluation that is allowed to write the lock, and fails under `--no-write-lock-file`. Run `nix flake lock` and commit flake.lock.",
    `{\n  # flake.lock beside this file has no "agenix" input\n  inputs.agenix.url = "github:ryantm/agenix";\n  outputs = { self, agenix }: { };\n}`,
    `{\n  # after \`nix flake lock\`, flake.lock has an "agenix" input\n  inputs.agenix.url = "github:ryantm/agenix";\n  outputs = { self, agenix }: { };\n}`),
  meta("missing-flake-lock", "error", "flake.nix has inputs but no flake.lock",
    "Without flake.lock every input floats to whatever its branch points at when the flake is evaluated. Run `nix flake lock` and commit flake.lock next to flake.nix.",
    `{\n  # no flake.lock in this directory\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";\n  outputs = { self, nixpkgs }: { };\n}`,
    `{\n  # \`nix flake lock\` wrote flake.lock beside this file, and it is committed\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";\n  outputs = { self, nixpkgs }: { };\n}`),
];

const FETCHERS = new Set(["fetchTarball", "fetchGit", "fetchurl", "fetchTree", "fetchMercurial", "fetchClosure"]);
/** Fetchers that are global names in Nix (`fetchTarball` without `builtins.`). */
const GLOBAL_FETCHERS = new Set(["fetchTarball", "fetchGit", "fetchTree", "fetchMercurial"]);
const HASH_ATTRS = new Set(["sha256", "hash", "narHash", "outputHash", "sha512", "sha1"]);

export interface FlakeLockView {
  /** Root inputs named in flake.lock, or null when there is no lock beside the flake. */
  rootInputs: ReadonlySet<string> | null;
}

/** Root input names of a flake.lock, or an empty set when it cannot be read (its own rules report why). */
export function rootInputsOfLock(lockText: string): Set<string> {
  try {
    const lock = JSON.parse(lockText) as { root?: unknown; nodes?: Record<string, { inputs?: Record<string, unknown> }> };
    const root = typeof lock.root === "string" ? lock.nodes?.[lock.root] : undefined;
    return new Set(Object.keys(root?.inputs ?? {}));
  } catch {
    return new Set();
  }
}

export function pinningHandlers(ctx: RuleContext, flake: FlakeLockView | null): WalkHandlers {
  const declared = new Map<string, { start: number; end: number }>();

  const onPath = (node: ExprOf<"Path">, _site: Site): void => {
    if (node.kind !== "search") return;
    const text = ctx.src.slice(node.start, node.end);
    ctx.report({
      ruleId: "pinning/search-path", start: node.start, end: node.end,
      message: `${text} is looked up in NIX_PATH at evaluation time, so the result depends on the machine; use a flake input (inputs.nixpkgs) or a fetcher pinned by rev and hash`,
    });
  };

  const onCall = (call: Call, _site: Site): void => {
    if (call.name === null) return;
    const base = baseName(call.name);
    if (!FETCHERS.has(base)) return;
    const qualified = call.name === `builtins.${base}` || (call.name === base && GLOBAL_FETCHERS.has(base));
    if (!qualified) return;
    const arg = call.args[0];
    if (!arg || pinnedArgument(arg, base)) return;
    const need = base === "fetchGit" ? "a rev (commit hash)" : "sha256/hash (and a fixed rev in the URL)";
    ctx.report({
      ruleId: "pinning/unpinned-fetch", start: call.node.start, end: call.node.end,
      message: `${call.name} without ${need} fetches whatever the source serves at evaluation time; pin it with ${need}`,
    });
  };

  const onDef = (ev: DefEvent): void => {
    if (flake === null || ev.scope !== "attrs" || ev.path[0] !== "inputs" || ev.path.length < 2) return;
    const name = ev.path[1]!;
    if (name !== "*" && ev.path.length === 2) declared.set(name, { start: ev.nameStart, end: ev.nameEnd });
    if (name !== "*" && ev.path.length >= 3 && !declared.has(name)) declared.set(name, { start: ev.nameStart, end: ev.nameEnd });
    const field = ev.path[2];
    if (ev.path.length !== 3 || (field !== "url" && field !== "type")) return;
    const v = ev.binding.value;
    const text = v.type === "String" ? literalValue(ctx, v) : null;
    if (text === null) return;
    const indirect = field === "type" ? text === "indirect" : !text.includes(":") || text.startsWith("flake:");
    if (indirect) {
      ctx.report({
        ruleId: "pinning/indirect-flake-input", start: v.start, end: v.end, attrPath: `inputs.${name}.${field}`,
        message: `inputs.${name}.${field} = ${JSON.stringify(text)} is resolved through the flake registry of whoever locks it; write the source explicitly, e.g. ${name.startsWith("nixpkgs") ? '"github:NixOS/nixpkgs/nixos-26.05"' : '"github:<owner>/<repo>"'}`,
      });
    }
  };

  const finish = (): void => {
    if (flake === null || declared.size === 0) return;
    if (flake.rootInputs === null) {
      const first = declared.values().next().value!;
      ctx.report({
        ruleId: "pinning/missing-flake-lock", start: first.start, end: first.end,
        message: `this flake declares ${declared.size} input(s) but has no flake.lock beside it; run \`nix flake lock\` and commit flake.lock`,
      });
      return;
    }
    for (const [name, span] of declared) {
      if (flake.rootInputs.has(name)) continue;
      ctx.report({
        ruleId: "pinning/input-not-locked", start: span.start, end: span.end, attrPath: `inputs.${name}`,
        message: `input "${name}" is declared in flake.nix but missing from flake.lock; run \`nix flake lock\` and commit flake.lock`,
      });
    }
  };

  return { path: onPath, call: onCall, def: onDef, finish };
}

function pinnedArgument(arg: Expr, fetcher: string): boolean {
  // A bare URL cannot carry a hash; anything else (a variable, a call) we cannot judge.
  if (arg.type !== "Attrs") return arg.type !== "String" && arg.type !== "Uri" && arg.type !== "Path";
  const names = new Set<string>();
  for (const b of arg.bindings) {
    if (b.kind === "def" && b.path[0]?.kind === "static") names.add(b.path[0].name);
    if (b.kind === "inherit") for (const n of b.names) if (n.kind === "static") names.add(n.name);
  }
  if (fetcher === "fetchGit" || fetcher === "fetchMercurial") return names.has("rev") || names.has("narHash");
  if (fetcher === "fetchTree") return names.has("rev") || names.has("narHash");
  return [...names].some((n) => HASH_ATTRS.has(n));
}
