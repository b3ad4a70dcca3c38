/**
 * `flake.lock` checks: every input is locked to an exact revision and content
 * hash, nothing resolves through the flake registry or the local filesystem,
 * and every nixpkgs in the graph tracks a supported release branch, is fresh
 * and comes from an allowed owner.
 *
 * Pure: takes the lock file text, returns findings with offsets into it. Never
 * throws; a lock file Nix itself would reject yields `pinning/lock-malformed`.
 *
 * Lock file format (versions 5–7, as read by Nix's `LockFile` constructor):
 * `{ "version": 7, "root": "root", "nodes": { "<key>": { "inputs": {...},
 * "locked": {...}, "original": {...}, "flake": false?, "parent": [...]? } } }`.
 * An input is either a node key (string) or a "follows" path (array of input
 * names, resolved from the root node). Version 5 kept `narHash` and
 * `lastModified` in a separate `info` object, merged into `locked` here as Nix does.
 * Only nodes reachable from the root are read, as in Nix.
 */
import type { RawFinding } from "../finding.js";
import type { RuleMeta } from "../rule-meta.js";
import { getMember, parseJsonWithPositions, uniqueMembers } from "./json-locate.js";
import type { JsonMember, JsonObject, JsonValue } from "./json-locate.js";

export interface PinningPolicy {
  /** nixpkgs branches (or channel names) considered supported; empty disables the branch check. */
  supportedBranches: string[];
  /** Maximum age of a locked nixpkgs revision (`locked.lastModified`); a non-positive value disables the check. */
  maxAgeDays: number;
  /** Allowed forge owners for nixpkgs inputs (case-insensitive); empty disables the check. */
  allowedOwners: string[];
  /** When set, allowed forge owners for every other github/gitlab/sourcehut input (case-insensitive). */
  allowedInputOwners?: string[];
  /** "Now", in Unix seconds; passed in so the check stays pure and reproducible. */
  nowSeconds: number;
}

/**
 * Defaults as of late 2026: NixOS 26.05 is the stable release and 25.11 is
 * still supported until the end of December 2026; unstable branches are allowed.
 */
export const DEFAULT_PINNING_POLICY: Readonly<Omit<PinningPolicy, "nowSeconds">> = Object.freeze({
  supportedBranches: [
    "nixos-unstable",
    "nixos-unstable-small",
    "nixpkgs-unstable",
    "nixos-26.05",
    "nixos-26.05-small",
    "release-26.05",
    "nixpkgs-26.05-darwin",
    "nixos-25.11",
    "nixos-25.11-small",
    "release-25.11",
    "nixpkgs-25.11-darwin",
  ],
  maxAgeDays: 30,
  allowedOwners: ["NixOS"],
});

/** The default policy evaluated at `nowSeconds`. */
export function defaultPinningPolicy(nowSeconds: number): PinningPolicy {
  return {
    supportedBranches: [...DEFAULT_PINNING_POLICY.supportedBranches],
    maxAgeDays: DEFAULT_PINNING_POLICY.maxAgeDays,
    allowedOwners: [...DEFAULT_PINNING_POLICY.allowedOwners],
    nowSeconds,
  };
}

const LOCK_BAD_HEAD = '{\n  "nodes": {\n';
const LOCK_TAIL = '    "root": { "inputs": { "nixpkgs": "nixpkgs" } }\n  },\n  "root": "root",\n  "version": 7\n}';

export const PINNING_LOCK_RULES: RuleMeta[] = [
  {
    id: "pinning/lock-malformed",
    category: "pinning",
    severity: "error",
    title: "flake.lock cannot be read",
    help:
      "The lock file is not valid JSON, has a version Nix does not read (only 5, 6 and 7 are supported), " +
      "or references a node or follows path that does not exist. Nix would refuse it, so nothing is pinned. " +
      "Regenerate it with `nix flake lock` instead of editing it by hand, and resolve merge conflicts by re-locking.",
    bad: '{\n  "nodes": { "root": { "inputs": { "nixpkgs": "nixpkgs" } } },\n  "root": "root",\n  "version": 7\n}',
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…", "lastModified": 1795400000 },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/lock-unlocked-input",
    category: "pinning",
    severity: "error",
    title: "flake.lock entry is not locked to a revision and content hash",
    help:
      "Every input in the lock graph (direct and transitive) needs a `locked` entry with a `narHash`, and " +
      "git/github/gitlab/sourcehut/mercurial inputs also need a `rev`. Without them the input is fetched " +
      "afresh and builds are not reproducible. Run `nix flake lock` (or `nix flake update <input>`) and commit the result.",
    bad:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/lock-indirect-input",
    category: "pinning",
    severity: "error",
    title: "Flake input resolved through the flake registry",
    help:
      "An indirect reference such as `inputs.nixpkgs.url = \"nixpkgs\"` is looked up in the user's or global flake " +
      "registry, which differs between machines and changes over time, so re-locking picks up whatever the registry " +
      "says. Write the full flake URL, e.g. `github:NixOS/nixpkgs/nixos-26.05`.",
    bad:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "indirect", "id": "nixpkgs" } },\n' +
      LOCK_TAIL,
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/lock-path-input",
    category: "pinning",
    severity: "error",
    title: "Flake input taken from the local filesystem",
    help:
      "An absolute `path:` input or a `file://` URL (including `git+file://`) only exists on the machine that locked " +
      "it; CI and other hosts cannot fetch it. Publish the source to a forge and reference it by URL. Relative " +
      "paths inside the repository (`path:./sub`) are committed with the repository and are not flagged.",
    bad:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "path", "path": "/home/alice/nixpkgs", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "path", "path": "/home/alice/nixpkgs" } },\n' +
      LOCK_TAIL,
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/nixpkgs-unsupported-branch",
    category: "pinning",
    severity: "error",
    title: "nixpkgs tracks a branch that gets no security updates",
    help:
      "Each nixpkgs in the lock graph (including transitive ones that do not follow yours) must track a supported " +
      "release or unstable branch. End-of-life releases (e.g. nixos-24.11) get no security fixes, and `master` " +
      "(also what an input without a ref tracks) is untested. Pin a supported branch such as " +
      "`github:NixOS/nixpkgs/nixos-26.05`, and make other inputs follow it with `inputs.<name>.inputs.nixpkgs.follows = \"nixpkgs\"`. " +
      "Inputs pinned to an explicit commit (`rev`) are judged by age only.",
    bad:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-24.11" } },\n' +
      LOCK_TAIL,
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/nixpkgs-too-old",
    category: "pinning",
    severity: "warning",
    title: "Locked nixpkgs revision is older than the allowed age",
    help:
      "A nixpkgs revision locked long ago misses the security fixes that landed on its branch since. Update it " +
      "regularly (`nix flake update nixpkgs`, e.g. from a scheduled CI job) and make other inputs follow your nixpkgs " +
      "so that one update covers the whole graph. The limit defaults to 30 days.",
    bad:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…", "lastModified": 1700000000 },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…", "lastModified": 1795400000 },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/nixpkgs-owner",
    category: "pinning",
    severity: "error",
    title: "nixpkgs comes from a fork rather than an allowed owner",
    help:
      "A nixpkgs fork may carry unreviewed changes and usually lags behind security fixes. Use the upstream " +
      "repository (`github:NixOS/nixpkgs`) or add the fork's owner to the allowed owners in the guard configuration.",
    bad:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "someone", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "someone", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
    good:
      LOCK_BAD_HEAD +
      '    "nixpkgs": { "locked": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "…", "narHash": "sha256-…" },\n' +
      '                 "original": { "type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-26.05" } },\n' +
      LOCK_TAIL,
  },
  {
    id: "pinning/input-owner",
    category: "pinning",
    severity: "error",
    title: "Flake input comes from an owner outside the allowlist",
    help:
      "When the guard configuration sets allowed input owners, every github/gitlab/sourcehut input other than " +
      "nixpkgs (direct or transitive) must come from one of them. Vendor or mirror the input under an allowed " +
      "owner, or add the owner to the allowlist after review.",
    bad:
      '{\n  "nodes": {\n' +
      '    "tool": { "locked": { "type": "github", "owner": "random-dev", "repo": "tool", "rev": "…", "narHash": "sha256-…" },\n' +
      '              "original": { "type": "github", "owner": "random-dev", "repo": "tool" } },\n' +
      '    "root": { "inputs": { "tool": "tool" } }\n  },\n  "root": "root",\n  "version": 7\n}',
    good:
      '{\n  "nodes": {\n' +
      '    "tool": { "locked": { "type": "github", "owner": "our-org", "repo": "tool", "rev": "…", "narHash": "sha256-…" },\n' +
      '              "original": { "type": "github", "owner": "our-org", "repo": "tool" } },\n' +
      '    "root": { "inputs": { "tool": "tool" } }\n  },\n  "root": "root",\n  "version": 7\n}',
  },
];

const SUPPORTED_VERSIONS = new Set([5, 6, 7]);
const FORGE_TYPES = new Set(["github", "gitlab", "sourcehut"]);
/** Input types whose `locked` entry must carry a `rev`. */
const REV_TYPES = new Set(["git", "github", "gitlab", "sourcehut", "mercurial", "hg"]);
const DAY_SECONDS = 86_400;
/** Follows chains longer than this are reported rather than resolved (keeps recursion bounded). */
const MAX_FOLLOWS_DEPTH = 256;

/** One flake.lock node reachable from the root, with what the checks need. */
interface LockNode {
  key: string;
  keyStart: number;
  keyEnd: number;
  object: JsonObject;
  /** Shortest input path from the root (`["home-manager", "nixpkgs"]`). */
  inputPath: string[];
}

type InputEdge = { kind: "node"; target: string } | { kind: "follows"; path: string[]; member: JsonMember };

interface Context {
  findings: RawFinding[];
  policy: PinningPolicy;
  /** Name of the root's own nixpkgs input, for `follows` suggestions. */
  rootNixpkgsInput: string;
}

/** Checks a flake.lock text against the pinning policy. Never throws. */
export function checkFlakeLock(text: string, policy: PinningPolicy): RawFinding[] {
  const findings: RawFinding[] = [];
  const malformed = (start: number, end: number, message: string, attrPath?: string): void => {
    findings.push({
      ruleId: "pinning/lock-malformed",
      message: `flake.lock: ${message}; regenerate it with nix flake lock`,
      start,
      end: Math.max(end, start),
      ...(attrPath === undefined ? {} : { attrPath }),
    });
  };

  const parsed = parseJsonWithPositions(text);
  if (!parsed.ok) {
    const start = Math.min(parsed.offset, text.length);
    malformed(start, Math.min(start + 1, text.length), `invalid JSON at offset ${parsed.offset}: ${parsed.message}`);
    return findings;
  }
  const top = parsed.value;
  if (top.kind !== "object") {
    malformed(top.start, top.end, `expected a JSON object at the top level, found ${describeKind(top)}`);
    return findings;
  }

  const version = getMember(top, "version");
  if (version === undefined) {
    malformed(top.start, top.start + 1, 'missing "version" (Nix reads lock file versions 5, 6 and 7)');
    return findings;
  }
  if (version.value.kind !== "number" || !SUPPORTED_VERSIONS.has(version.value.value)) {
    const seen = version.value.kind === "number" ? String(version.value.value) : describeKind(version.value);
    malformed(
      version.value.start,
      version.value.end,
      `unsupported lock file version ${seen} (Nix reads versions 5, 6 and 7)`,
      "version",
    );
    return findings;
  }
  const lockVersion = version.value.value;

  const nodesMember = getMember(top, "nodes");
  if (nodesMember === undefined || nodesMember.value.kind !== "object") {
    const span = nodesMember?.value ?? { start: top.start, end: top.start + 1 };
    malformed(span.start, span.end, '"nodes" must be an object', "nodes");
    return findings;
  }
  const rootMember = getMember(top, "root");
  if (rootMember === undefined || rootMember.value.kind !== "string") {
    const span = rootMember?.value ?? { start: top.start, end: top.start + 1 };
    malformed(span.start, span.end, '"root" must name the root node', "root");
    return findings;
  }
  const rootKey = rootMember.value.value;
  const nodeMembers = new Map<string, JsonMember>();
  for (const member of uniqueMembers(nodesMember.value)) nodeMembers.set(member.key, member);
  if (!nodeMembers.has(rootKey)) {
    malformed(
      rootMember.value.start,
      rootMember.value.end,
      `"root" references missing node ${JSON.stringify(rootKey)}`,
      "root",
    );
    return findings;
  }

  // Walk the graph breadth-first from the root, as Nix does, so each node gets its shortest input path.
  const nodes = new Map<string, LockNode>();
  const edges = new Map<string, Map<string, InputEdge>>();
  const queue: { key: string; inputPath: string[] }[] = [{ key: rootKey, inputPath: [] }];
  const seen = new Set<string>([rootKey]);
  for (let head = 0; head < queue.length; head++) {
    const item = queue[head];
    if (item === undefined) break;
    const member = nodeMembers.get(item.key);
    if (member === undefined) continue;
    const nodePath = `nodes.${item.key}`;
    if (member.value.kind !== "object") {
      malformed(
        member.value.start,
        member.value.end,
        `node ${JSON.stringify(item.key)} must be an object, found ${describeKind(member.value)}`,
        nodePath,
      );
      continue;
    }
    nodes.set(item.key, {
      key: item.key,
      keyStart: member.keyStart,
      keyEnd: member.keyEnd,
      object: member.value,
      inputPath: item.inputPath,
    });
    const nodeEdges = new Map<string, InputEdge>();
    edges.set(item.key, nodeEdges);
    const inputs = getMember(member.value, "inputs");
    if (inputs === undefined) continue;
    if (inputs.value.kind !== "object") {
      malformed(inputs.value.start, inputs.value.end, `"inputs" of node ${JSON.stringify(item.key)} must be an object`, `${nodePath}.inputs`);
      continue;
    }
    for (const input of uniqueMembers(inputs.value)) {
      const where = `${nodePath}.inputs.${input.key}`;
      const value = input.value;
      if (value.kind === "string") {
        const target = value.value;
        if (target === rootKey) {
          malformed(value.start, value.end, `input ${JSON.stringify(input.key)} of node ${JSON.stringify(item.key)} points back at the root node (cycle)`, where);
        } else if (!nodeMembers.has(target)) {
          malformed(value.start, value.end, `input ${JSON.stringify(input.key)} of node ${JSON.stringify(item.key)} references missing node ${JSON.stringify(target)}`, where);
        } else {
          nodeEdges.set(input.key, { kind: "node", target });
          if (!seen.has(target)) {
            seen.add(target);
            queue.push({ key: target, inputPath: [...item.inputPath, input.key] });
          }
        }
      } else if (value.kind === "array" && value.items.every((x) => x.kind === "string")) {
        const path = value.items.map((x) => (x.kind === "string" ? x.value : ""));
        nodeEdges.set(input.key, { kind: "follows", path, member: input });
      } else {
        malformed(value.start, value.end, `input ${JSON.stringify(input.key)} of node ${JSON.stringify(item.key)} must be a node name or a follows path (array of input names)`, where);
      }
    }
  }

  checkFollows(rootKey, nodes, edges, malformed);

  const rootEdges = edges.get(rootKey);
  let rootNixpkgsInput = "nixpkgs";
  if (rootEdges !== undefined) {
    for (const [name, edge] of rootEdges) {
      const target = edge.kind === "node" ? nodes.get(edge.target) : undefined;
      if (target !== undefined && isNixpkgsNode(target)) {
        rootNixpkgsInput = name;
        break;
      }
    }
  }
  const context: Context = { findings, policy, rootNixpkgsInput };
  for (const node of nodes.values()) {
    if (node.key === rootKey) continue;
    checkNode(node, lockVersion, context, malformed);
  }
  return findings.sort((a, b) => a.start - b.start || a.ruleId.localeCompare(b.ruleId));
}

type Malformed = (start: number, end: number, message: string, attrPath?: string) => void;

/** Every non-empty follows path must resolve from the root (Nix's `LockFile::check`). */
function checkFollows(
  rootKey: string,
  nodes: Map<string, LockNode>,
  edges: Map<string, Map<string, InputEdge>>,
  malformed: Malformed,
): void {
  const resolver = new FollowsResolver(rootKey, edges);
  for (const [key, nodeEdges] of edges) {
    const node = nodes.get(key);
    if (node === undefined) continue;
    for (const [name, edge] of nodeEdges) {
      if (edge.kind !== "follows" || edge.path.length === 0) continue;
      const result = resolver.resolve(edge.path);
      if (!result.ok) {
        const inputName = [...node.inputPath, name].join("/");
        malformed(
          edge.member.value.start,
          edge.member.value.end,
          `input ${JSON.stringify(inputName)} (flake.lock node ${JSON.stringify(key)}) ${result.reason}`,
          `nodes.${key}.inputs.${name}`,
        );
      }
    }
  }
}

type FollowsResult = { ok: true; key: string } | { ok: false; reason: string; tooDeep?: boolean };

/**
 * Resolves input paths from the root like Nix's `doFind`. Results are memoised
 * per path and cycles are detected on the current resolution stack, so hostile
 * lock files resolve in linear time.
 */
class FollowsResolver {
  private readonly memo = new Map<string, FollowsResult>();
  private readonly stack: string[] = [];
  private readonly onStack = new Set<string>();

  constructor(
    private readonly rootKey: string,
    private readonly edges: Map<string, Map<string, InputEdge>>,
  ) {}

  resolve(path: string[]): FollowsResult {
    const id = path.join("/");
    const known = this.memo.get(id);
    if (known !== undefined) return known;
    if (this.stack.length >= MAX_FOLLOWS_DEPTH) {
      return { ok: false, reason: `follows a chain of more than ${MAX_FOLLOWS_DEPTH} follows`, tooDeep: true };
    }
    if (this.onStack.has(id)) {
      return { ok: false, reason: `is part of a follows cycle: ${[...this.stack, id].map((p) => JSON.stringify(p)).join(" -> ")}` };
    }
    this.stack.push(id);
    this.onStack.add(id);
    const result = this.walk(path, id);
    this.stack.pop();
    this.onStack.delete(id);
    // "Too deep" depends on where resolution started; every other outcome is a property of the graph.
    if (result.ok || !result.tooDeep) this.memo.set(id, result);
    return result;
  }

  private walk(path: string[], id: string): FollowsResult {
    let position = this.rootKey;
    for (const element of path) {
      const edge = this.edges.get(position)?.get(element);
      if (edge === undefined) return { ok: false, reason: `follows a non-existent input ${JSON.stringify(id)}` };
      if (edge.kind === "node") {
        position = edge.target;
      } else {
        const inner = this.resolve(edge.path);
        if (!inner.ok) return inner;
        position = inner.key;
      }
    }
    return { ok: true, key: position };
  }
}

function checkNode(node: LockNode, lockVersion: number, context: Context, malformed: Malformed): void {
  const nodePath = `nodes.${node.key}`;
  const original = getMember(node.object, "original");
  if (original === undefined || original.value.kind !== "object") {
    const span = original === undefined ? { start: node.keyStart, end: node.keyEnd } : { start: original.keyStart, end: original.keyEnd };
    malformed(span.start, span.end, `node ${JSON.stringify(node.key)} has no "original" object`, `${nodePath}.original`);
    return;
  }
  const originalObject = original.value;
  const lockedMember = getMember(node.object, "locked");
  const lockedObject = lockedMember?.value.kind === "object" ? lockedMember.value : undefined;
  // Lock file version 5 kept narHash/lastModified in "info"; Nix merges it into "locked".
  const infoMember = lockVersion === 5 ? getMember(node.object, "info") : undefined;
  const infoObject = infoMember?.value.kind === "object" ? infoMember.value : undefined;
  const lockedField = (name: string): JsonMember | undefined =>
    (infoObject === undefined ? undefined : getMember(infoObject, name)) ??
    (lockedObject === undefined ? undefined : getMember(lockedObject, name));

  const label = describeInput(node);
  const originalType = stringField(originalObject, "type");
  const originalPath = stringField(originalObject, "path");
  const isRelativePath =
    getMember(node.object, "parent") !== undefined ||
    (originalType?.value === "path" && originalPath !== undefined && !originalPath.value.startsWith("/"));

  // --- lock-path-input -----------------------------------------------------
  const originalUrl = stringField(originalObject, "url");
  if (!isRelativePath) {
    if (originalType?.value === "path") {
      const span = originalPath ?? originalType;
      pushFinding(context, "pinning/lock-path-input", span, `${nodePath}.original.path`,
        `${label} is a local path input (${JSON.stringify(originalPath?.value ?? "")}) that only exists on the machine that locked it; ` +
          "reference the source by a forge URL instead (e.g. github:owner/repo)");
    } else if (originalUrl !== undefined && originalUrl.value.toLowerCase().startsWith("file:")) {
      pushFinding(context, "pinning/lock-path-input", originalUrl, `${nodePath}.original.url`,
        `${label} is fetched from the local filesystem (${JSON.stringify(originalUrl.value)}); ` +
          "push it to a forge and reference it by URL (e.g. git+https://… or github:owner/repo)");
    } else if (originalUrl !== undefined && originalType?.value === "git" && originalUrl.value.startsWith("/")) {
      pushFinding(context, "pinning/lock-path-input", originalUrl, `${nodePath}.original.url`,
        `${label} is a local git checkout (${JSON.stringify(originalUrl.value)}); push it to a forge and reference it by URL`);
    }
  }

  // --- lock-indirect-input -------------------------------------------------
  if (originalType?.value === "indirect") {
    const id = stringField(originalObject, "id")?.value ?? node.key;
    const suggestion = suggestUrlFor(lockedObject, id, context.policy);
    pushFinding(context, "pinning/lock-indirect-input", originalType, `${nodePath}.original.type`,
      `${label} is the indirect flake reference ${JSON.stringify(id)}, resolved through the flake registry, which differs between machines; ` +
        (node.inputPath.length === 1
          ? `write the full URL in flake.nix, e.g. inputs.${inputAttr(node.inputPath)}.url = "${suggestion}"`
          : `it comes from ${JSON.stringify(node.inputPath[0] ?? "")}; override it in flake.nix with ` +
            `inputs.${inputAttr(node.inputPath)}.url = "${suggestion}" (or .follows one of your inputs)`));
  }

  // --- lock-unlocked-input -------------------------------------------------
  if (!isRelativePath) {
    if (lockedMember === undefined || lockedObject === undefined) {
      const span = lockedMember === undefined ? { start: node.keyStart, end: node.keyEnd } : { start: lockedMember.keyStart, end: lockedMember.keyEnd };
      pushFinding(context, "pinning/lock-unlocked-input", span, `${nodePath}.locked`,
        `${label} has no "locked" entry, so it is not pinned; run ${updateCommand(node)} and commit flake.lock`);
    } else {
      const lockedType = stringField(lockedObject, "type")?.value ?? originalType?.value;
      const missing: string[] = [];
      if (lockedType === undefined) missing.push("type");
      if (lockedType === "indirect") missing.push("a concrete source (type is \"indirect\")");
      if (!isNonEmptyString(lockedField("narHash"))) missing.push("narHash");
      if (lockedType !== undefined && REV_TYPES.has(lockedType) && !isNonEmptyString(lockedField("rev"))) missing.push("rev");
      if (missing.length > 0) {
        pushFinding(context, "pinning/lock-unlocked-input", { start: lockedMember.keyStart, end: lockedMember.keyEnd }, `${nodePath}.locked`,
          `${label} is not fully locked: "locked"${lockedType === undefined ? "" : ` (type ${JSON.stringify(lockedType)})`} lacks ${missing.join(" and ")}; ` +
            `run ${updateCommand(node)} and commit flake.lock`);
      }
    }
  }

  // --- nixpkgs checks and owners --------------------------------------------
  const forge = forgeSource(originalObject) ?? (lockedObject === undefined ? undefined : forgeSource(lockedObject));
  if (isNixpkgsNode(node)) {
    checkNixpkgsBranch(node, originalObject, originalType?.value, context);
    const currentRef = stringField(originalObject, "ref")?.value;
    const keepRef = currentRef !== undefined && context.policy.supportedBranches.includes(currentRef) ? currentRef : undefined;
    checkNixpkgsAge(node, lockedField("lastModified"), lockedField("rev"), context);
    if (forge !== undefined && context.policy.allowedOwners.length > 0 && !ownerAllowed(forge.owner, context.policy.allowedOwners)) {
      const allowed = context.policy.allowedOwners.join(", ");
      pushFinding(context, "pinning/nixpkgs-owner", forge.span, `${nodePath}.original.owner`,
        `${label} comes from ${forge.host} owner ${JSON.stringify(forge.owner)}, not an allowed nixpkgs owner (${allowed}); ` +
          fixForNixpkgs(node, context, `track github:${context.policy.allowedOwners[0] ?? "NixOS"}/nixpkgs/${keepRef ?? preferredBranch(undefined, context.policy)}`));
    }
  } else if (forge !== undefined && context.policy.allowedInputOwners !== undefined && !ownerAllowed(forge.owner, context.policy.allowedInputOwners)) {
    const allowed = context.policy.allowedInputOwners.join(", ") || "none";
    pushFinding(context, "pinning/input-owner", forge.span, `${nodePath}.original.owner`,
      `${label} comes from ${forge.host} owner ${JSON.stringify(forge.owner)}, which is not in the allowed input owners (${allowed}); ` +
        "mirror it under an allowed owner or add the owner to the guard configuration after review");
  }
}

function checkNixpkgsBranch(node: LockNode, original: JsonObject, originalType: string | undefined, context: Context): void {
  const supported = context.policy.supportedBranches;
  if (supported.length === 0) return;
  const nodePath = `nodes.${node.key}`;
  const label = describeInput(node);
  const refMember = stringField(original, "ref");
  let ref: string | undefined;
  let span: { start: number; end: number };
  let attrPath: string;
  if (refMember !== undefined) {
    ref = stripRefsHeads(refMember.value);
    span = refMember;
    attrPath = `${nodePath}.original.ref`;
  } else {
    if (stringField(original, "rev") !== undefined) return; // pinned to a commit: judged by age only
    if (originalType === "indirect") return; // the registry decides; lock-indirect-input covers it
    const url = stringField(original, "url");
    if (originalType === "tarball" || originalType === "file") {
      if (url === undefined) return;
      const fromUrl = branchFromTarballUrl(url.value);
      if (fromUrl === undefined) return;
      ref = fromUrl;
      span = url;
      attrPath = `${nodePath}.original.url`;
    } else if (originalType === "path") {
      return;
    } else {
      // No ref: the repository's default branch, which for nixpkgs is master.
      const originalMember = getMember(node.object, "original");
      span = originalMember === undefined ? { start: node.keyStart, end: node.keyEnd } : { start: originalMember.keyStart, end: originalMember.keyEnd };
      attrPath = `${nodePath}.original`;
    }
  }
  if (ref !== undefined && looksLikeRev(ref)) return;
  if (ref !== undefined && supported.includes(ref)) return;
  const target = preferredBranch(ref, context.policy);
  const seen =
    ref === undefined
      ? "nixpkgs without a branch, i.e. its default branch master,"
      : `nixpkgs branch ${JSON.stringify(ref)},`;
  pushFinding(context, "pinning/nixpkgs-unsupported-branch", span, attrPath,
    `${label} tracks ${seen} which is not a supported release branch (supported: ${supported.join(", ")}); ` +
      fixForNixpkgs(node, context, `track github:NixOS/nixpkgs/${target}`));
}

function checkNixpkgsAge(node: LockNode, lastModified: JsonMember | undefined, rev: JsonMember | undefined, context: Context): void {
  const { maxAgeDays, nowSeconds } = context.policy;
  if (!(maxAgeDays > 0) || lastModified === undefined || lastModified.value.kind !== "number") return;
  const locked = lastModified.value.value;
  const ageSeconds = nowSeconds - locked;
  if (!(ageSeconds > maxAgeDays * DAY_SECONDS)) return;
  const ageDays = Math.floor(ageSeconds / DAY_SECONDS);
  const revText = rev?.value.kind === "string" ? ` ${rev.value.value.slice(0, 12)}` : "";
  pushFinding(context, "pinning/nixpkgs-too-old", lastModified.value, `nodes.${node.key}.locked.lastModified`,
    `${describeInput(node)} is locked to nixpkgs revision${revText} from ${isoDate(locked)}, ${ageDays} days old (limit: ${maxAgeDays} days); ` +
      fixForNixpkgs(node, context, undefined));
}

/** How to fix a nixpkgs problem: edit flake.nix for a direct input, add a follows for a transitive one. */
function fixForNixpkgs(node: LockNode, context: Context, pinAdvice: string | undefined): string {
  const name = node.inputPath.join("/");
  if (node.inputPath.length <= 1) {
    return pinAdvice === undefined
      ? `run nix flake update ${name} and commit flake.lock`
      : `${pinAdvice} in flake.nix (inputs.${inputAttr(node.inputPath)}.url), then run nix flake update ${name}`;
  }
  const via = node.inputPath[0] ?? "";
  const follows = `inputs.${inputAttr(node.inputPath)}.follows = "${context.rootNixpkgsInput}"`;
  return (
    `it comes in through ${JSON.stringify(via)}; add ${follows} to flake.nix so it uses your own nixpkgs` +
    (pinAdvice === undefined
      ? `, then run nix flake lock (or nix flake update ${via})`
      : ` (which should itself ${pinAdvice}), then run nix flake lock`)
  );
}

function updateCommand(node: LockNode): string {
  return `nix flake update ${node.inputPath[0] ?? node.key}`;
}

function pushFinding(context: Context, ruleId: string, span: { start: number; end: number }, attrPath: string, message: string): void {
  context.findings.push({ ruleId, message, start: span.start, end: span.end, attrPath });
}

function describeInput(node: LockNode): string {
  const name = node.inputPath.join("/");
  const kind = node.inputPath.length <= 1 ? "input" : "transitive input";
  return `${kind} ${JSON.stringify(name)} (flake.lock node ${JSON.stringify(node.key)})`;
}

/** `["home-manager", "nixpkgs"]` → `home-manager.inputs.nixpkgs` (quoting names that are not plain identifiers). */
function inputAttr(path: string[]): string {
  return path.map(nixAttrName).join(".inputs.");
}

function nixAttrName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    const rest = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x27;
    if (!(letter || (i > 0 && rest))) return JSON.stringify(name);
  }
  return name.length === 0 ? '""' : name;
}

interface StringMember {
  value: string;
  start: number;
  end: number;
}

function stringField(object: JsonObject, name: string): StringMember | undefined {
  const member = getMember(object, name);
  if (member === undefined || member.value.kind !== "string") return undefined;
  return { value: member.value.value, start: member.value.start, end: member.value.end };
}

function isNonEmptyString(member: JsonMember | undefined): boolean {
  return member !== undefined && member.value.kind === "string" && member.value.value.length > 0;
}

function describeKind(value: JsonValue): string {
  return value.kind === "array" ? "an array" : value.kind === "object" ? "an object" : `a ${value.kind}`;
}

function isNixpkgsNode(node: LockNode): boolean {
  const original = getMember(node.object, "original");
  const locked = getMember(node.object, "locked");
  const originalObject = original?.value.kind === "object" ? original.value : undefined;
  const lockedObject = locked?.value.kind === "object" ? locked.value : undefined;
  const forge =
    (originalObject === undefined ? undefined : forgeSource(originalObject)) ??
    (lockedObject === undefined ? undefined : forgeSource(lockedObject));
  if (forge !== undefined) return forge.repo.toLowerCase() === "nixpkgs";
  if (originalObject !== undefined && stringField(originalObject, "type")?.value === "indirect") {
    return stringField(originalObject, "id")?.value === "nixpkgs";
  }
  // No identifiable repository (tarball from a channel, plain git URL elsewhere…): go by the node name.
  const key = node.key.toLowerCase();
  return key === "nixpkgs" || key.startsWith("nixpkgs-") || key.startsWith("nixpkgs_");
}

interface ForgeSource {
  host: string;
  owner: string;
  repo: string;
  /** Where the owner is written: the `owner` field, or the whole URL. */
  span: { start: number; end: number };
}

/** Owner and repository of a github/gitlab/sourcehut reference, or of a git/tarball URL on a known forge. */
function forgeSource(object: JsonObject): ForgeSource | undefined {
  const type = stringField(object, "type")?.value;
  if (type !== undefined && FORGE_TYPES.has(type)) {
    const owner = stringField(object, "owner");
    const repo = stringField(object, "repo");
    if (owner === undefined || repo === undefined) return undefined;
    return { host: type, owner: owner.value, repo: repo.value, span: { start: owner.start, end: owner.end } };
  }
  const url = stringField(object, "url");
  if (url === undefined) return undefined;
  const parsed = parseForgeUrl(url.value);
  if (parsed === undefined) return undefined;
  return { ...parsed, span: { start: url.start, end: url.end } };
}

const FORGE_HOSTS: ReadonlyMap<string, string> = new Map([
  ["github.com", "github"],
  ["www.github.com", "github"],
  ["codeload.github.com", "github"],
  ["gitlab.com", "gitlab"],
  ["git.sr.ht", "sourcehut"],
]);

function parseForgeUrl(url: string): { host: string; owner: string; repo: string } | undefined {
  let rest = url;
  const schemeEnd = rest.indexOf("://");
  if (schemeEnd < 0) return undefined;
  rest = rest.slice(schemeEnd + 3);
  const at = rest.indexOf("@");
  const firstSlash = rest.indexOf("/");
  if (at >= 0 && (firstSlash < 0 || at < firstSlash)) rest = rest.slice(at + 1);
  const slash = rest.indexOf("/");
  if (slash < 0) return undefined;
  const host = FORGE_HOSTS.get(rest.slice(0, slash).toLowerCase().split(":")[0] ?? "");
  if (host === undefined) return undefined;
  const segments = rest.slice(slash + 1).split(/[?#]/)[0]?.split("/") ?? [];
  const owner = segments[0];
  let repo = segments[1];
  if (owner === undefined || repo === undefined || owner === "" || repo === "") return undefined;
  if (repo.toLowerCase().endsWith(".git")) repo = repo.slice(0, -4);
  return { host, owner, repo };
}

/** Channel or branch named by a nixpkgs tarball URL, when it names one. */
function branchFromTarballUrl(url: string): string | undefined {
  const withoutScheme = url.slice(url.indexOf("://") + 3);
  const segments = (withoutScheme.split(/[?#]/)[0] ?? "").split("/");
  const host = (segments[0] ?? "").toLowerCase();
  if (host === "channels.nixos.org") return segments[1] || undefined;
  if (host === "nixos.org" && segments[1] === "channels") return segments[2] || undefined;
  if (FORGE_HOSTS.get(host) === "github" && segments[3] === "archive") {
    const file = segments.slice(4).join("/");
    for (const suffix of [".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".zip"]) {
      if (file.endsWith(suffix)) return stripRefsHeads(file.slice(0, -suffix.length));
    }
    return undefined;
  }
  return undefined;
}

function stripRefsHeads(ref: string): string {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}

function looksLikeRev(ref: string): boolean {
  if (ref.length !== 40 && ref.length !== 64) return false;
  for (let i = 0; i < ref.length; i++) {
    if (hexDigit(ref.charCodeAt(i)) < 0) return false;
  }
  return true;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

function ownerAllowed(owner: string, allowed: string[]): boolean {
  const normalized = normalizeOwner(owner);
  return allowed.some((entry) => normalizeOwner(entry) === normalized);
}

function normalizeOwner(owner: string): string {
  return (owner.startsWith("~") ? owner.slice(1) : owner).toLowerCase();
}

/** `YY.MM` release number inside a branch name, as a comparable number, or undefined. */
function releaseNumber(branch: string): number | undefined {
  const match = /(\d{2,4})\.(\d{2})/.exec(branch);
  if (match === null) return undefined;
  return Number(match[1]) * 100 + Number(match[2]);
}

/** The supported branch closest in kind to `ref` (same -small/-darwin/release- flavour, newest release). */
function preferredBranch(ref: string | undefined, policy: PinningPolicy): string {
  const supported = policy.supportedBranches;
  const flavour = (branch: string): string => {
    if (branch.endsWith("-darwin")) return "darwin";
    if (branch.startsWith("release-")) return "release";
    if (branch.endsWith("-small")) return "small";
    if (branch.startsWith("nixos-")) return "nixos";
    return "other";
  };
  if (ref === "master" || ref === "main") {
    for (const candidate of ["nixos-unstable", "nixpkgs-unstable"]) if (supported.includes(candidate)) return candidate;
  }
  const want = ref === undefined ? "nixos" : flavour(ref);
  const newest = (candidates: string[]): string | undefined => {
    let best: string | undefined;
    let bestNumber = -1;
    for (const candidate of candidates) {
      const n = releaseNumber(candidate);
      if (n !== undefined && n > bestNumber) {
        best = candidate;
        bestNumber = n;
      }
    }
    return best;
  };
  return (
    newest(supported.filter((b) => flavour(b) === want)) ??
    newest(supported.filter((b) => flavour(b) === "nixos")) ??
    supported[0] ??
    "nixos-unstable"
  );
}

/** A full flake URL to replace an indirect reference with. */
function suggestUrlFor(locked: JsonObject | undefined, id: string, policy: PinningPolicy): string {
  const forge = locked === undefined ? undefined : forgeSource(locked);
  if (id === "nixpkgs" || forge?.repo.toLowerCase() === "nixpkgs") {
    return `github:NixOS/nixpkgs/${preferredBranch(undefined, policy)}`;
  }
  if (forge !== undefined) return `${forge.host}:${forge.owner}/${forge.repo}`;
  return "github:<owner>/<repo>";
}

function isoDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().slice(0, 10);
}
