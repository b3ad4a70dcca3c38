import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { RawFinding } from "../finding.js";
import { checkFlakeLock, DEFAULT_PINNING_POLICY, defaultPinningPolicy, PINNING_LOCK_RULES } from "./flake-lock.js";
import type { PinningPolicy } from "./flake-lock.js";

const DAY = 86_400;
/** 2026-11-25T00:00:00Z */
const NOW = Date.UTC(2026, 10, 25) / 1000;
const FRESH = NOW - 5 * DAY;
const POLICY: PinningPolicy = defaultPinningPolicy(NOW);
const REV = "0123456789abcdef0123456789abcdef01234567";
const NAR = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

type Json = Record<string, unknown>;

interface NodeOptions {
  ref?: string;
  rev?: string | null;
  narHash?: string | null;
  lastModified?: number;
  inputs?: Record<string, string | string[]>;
  originalRev?: string;
}

/** A github node as `nix flake lock` writes it. */
function github(owner: string, repo: string, options: NodeOptions = {}): Json {
  const locked: Json = { lastModified: options.lastModified ?? FRESH, owner, repo, type: "github" };
  if (options.narHash !== null) locked["narHash"] = options.narHash ?? NAR;
  if (options.rev !== null) locked["rev"] = options.rev ?? REV;
  const original: Json = { owner, repo, type: "github" };
  if (options.ref !== undefined) original["ref"] = options.ref;
  if (options.originalRev !== undefined) original["rev"] = options.originalRev;
  return { ...(options.inputs === undefined ? {} : { inputs: options.inputs }), locked, original };
}

function nixpkgs(ref: string | undefined, options: NodeOptions = {}): Json {
  return github("NixOS", "nixpkgs", { ...options, ...(ref === undefined ? {} : { ref }) });
}

/** Serialises a lock file the way Nix does: keys sorted, 2-space indent. */
function lockText(nodes: Record<string, Json>, rootInputs: Record<string, string | string[]>, version = 7): string {
  return JSON.stringify(sortKeys({ nodes: { ...nodes, root: { inputs: rootInputs } }, root: "root", version }), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
}

function ids(findings: RawFinding[]): string[] {
  return findings.map((f) => f.ruleId);
}

function only(findings: RawFinding[], ruleId: string): RawFinding {
  const matching = findings.filter((f) => f.ruleId === ruleId);
  assert.equal(matching.length, 1, `expected one ${ruleId}, got ${JSON.stringify(findings, null, 2)}`);
  const [finding] = matching;
  assert.ok(finding);
  return finding;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

/** A realistic healthy lock: nixpkgs, home-manager following it, flake-utils with a transitive systems. */
function healthyNodes(): Record<string, Json> {
  return {
    nixpkgs: nixpkgs("nixos-26.05"),
    "home-manager": github("nix-community", "home-manager", { ref: "release-26.05", inputs: { nixpkgs: ["nixpkgs"] } }),
    "flake-utils": github("numtide", "flake-utils", { inputs: { systems: "systems" } }),
    systems: github("nix-systems", "default"),
  };
}
const HEALTHY_ROOT = { nixpkgs: "nixpkgs", "home-manager": "home-manager", "flake-utils": "flake-utils" };

void describe("checkFlakeLock", () => {
  void it("accepts a healthy lock with follows and transitive inputs", () => {
    assert.deepEqual(checkFlakeLock(lockText(healthyNodes(), HEALTHY_ROOT), POLICY), []);
  });

  void it("accepts lock versions 5, 6 and 7 and rejects others", () => {
    for (const version of [5, 6, 7]) {
      assert.deepEqual(checkFlakeLock(lockText(healthyNodes(), HEALTHY_ROOT, version), POLICY), [], `version ${version}`);
    }
    for (const version of [4, 8]) {
      const text = lockText(healthyNodes(), HEALTHY_ROOT, version);
      const finding = only(checkFlakeLock(text, POLICY), "pinning/lock-malformed");
      assert.match(finding.message, new RegExp(`unsupported lock file version ${version}`));
      assert.equal(text.slice(finding.start, finding.end), String(version));
    }
    const noVersion = JSON.stringify({ nodes: { root: {} }, root: "root" });
    assert.deepEqual(ids(checkFlakeLock(noVersion, POLICY)), ["pinning/lock-malformed"]);
  });

  void it("reads narHash and lastModified from the version 5 info object", () => {
    const node = nixpkgs("nixos-26.05");
    const locked = node["locked"] as Json;
    const info = { lastModified: NOW - 90 * DAY, narHash: locked["narHash"] };
    delete locked["narHash"];
    delete locked["lastModified"];
    const text = lockText({ nixpkgs: { ...node, info } }, { nixpkgs: "nixpkgs" }, 5);
    assert.deepEqual(ids(checkFlakeLock(text, POLICY)), ["pinning/nixpkgs-too-old"]);
  });

  void describe("malformed", () => {
    void it("reports invalid JSON once, at the error offset, without throwing", () => {
      const good = lockText(healthyNodes(), HEALTHY_ROOT);
      const text = good.replace('"version": 7', '"version": 7,');
      const findings = checkFlakeLock(text, POLICY);
      const finding = only(findings, "pinning/lock-malformed");
      assert.equal(findings.length, 1);
      assert.equal(finding.start, text.lastIndexOf("}"));
      assert.match(finding.message, /invalid JSON/);
      const empty = checkFlakeLock("", POLICY);
      assert.deepEqual(empty, [{ ruleId: "pinning/lock-malformed", message: empty[0]?.message, start: 0, end: 0 }]);
    });

    void it("reports a root input referencing a missing node at that reference", () => {
      const text = lockText({ nixpkgs: nixpkgs("nixos-26.05") }, { nixpkgs: "nixpkgs", ghost: "ghost_2" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/lock-malformed");
      assert.equal(text.slice(finding.start, finding.end), '"ghost_2"');
      assert.match(finding.message, /missing node "ghost_2"/);
    });

    void it("reports a transitive reference to a missing node and a root pointing nowhere", () => {
      const text = lockText(
        { nixpkgs: nixpkgs("nixos-26.05"), hm: github("nix-community", "home-manager", { inputs: { nixpkgs: "nixpkgs_9" } }) },
        { nixpkgs: "nixpkgs", hm: "hm" },
      );
      assert.equal(text.slice(only(checkFlakeLock(text, POLICY), "pinning/lock-malformed").start).slice(0, 11), '"nixpkgs_9"');
      const badRoot = JSON.stringify({ nodes: { root: {} }, root: "base", version: 7 }, null, 2);
      const finding = only(checkFlakeLock(badRoot, POLICY), "pinning/lock-malformed");
      assert.equal(badRoot.slice(finding.start, finding.end), '"base"');
    });

    void it("reports follows paths that do not resolve and follows cycles", () => {
      const text = lockText(
        {
          nixpkgs: nixpkgs("nixos-26.05"),
          hm: github("nix-community", "home-manager", { inputs: { nixpkgs: ["nixpkgz"], utils: ["hm", "utils"] } }),
        },
        { nixpkgs: "nixpkgs", hm: "hm" },
      );
      const findings = checkFlakeLock(text, POLICY);
      assert.deepEqual(ids(findings), ["pinning/lock-malformed", "pinning/lock-malformed"]);
      assert.match(findings[0]?.message ?? "", /"hm\/nixpkgs".*non-existent input "nixpkgz"/);
      assert.match(findings[1]?.message ?? "", /follows cycle/);
      assert.equal(text.slice(findings[0]?.start, findings[0]?.end), '[\n          "nixpkgz"\n        ]');
    });

    void it("accepts an empty follows path (follows the root flake itself)", () => {
      const text = lockText(
        { nixpkgs: nixpkgs("nixos-26.05"), sub: github("acme", "sub", { inputs: { parent: [] } }) },
        { nixpkgs: "nixpkgs", sub: "sub" },
      );
      assert.deepEqual(checkFlakeLock(text, POLICY), []);
    });

    void it("handles non-object documents and nodes", () => {
      assert.deepEqual(ids(checkFlakeLock("[]", POLICY)), ["pinning/lock-malformed"]);
      assert.deepEqual(ids(checkFlakeLock('{"version":7,"root":"root","nodes":[]}', POLICY)), ["pinning/lock-malformed"]);
      const text = lockText({ nixpkgs: "oops" as unknown as Json }, { nixpkgs: "nixpkgs" });
      assert.deepEqual(ids(checkFlakeLock(text, POLICY)), ["pinning/lock-malformed"]);
    });
  });

  void describe("lock-unlocked-input", () => {
    void it("flags a node without locked at its key", () => {
      const nodes = healthyNodes();
      delete nodes["systems"]?.["locked"];
      const text = lockText(nodes, HEALTHY_ROOT);
      const finding = only(checkFlakeLock(text, POLICY), "pinning/lock-unlocked-input");
      assert.equal(text.slice(finding.start, finding.end), '"systems"');
      assert.match(finding.message, /transitive input "flake-utils\/systems" \(flake\.lock node "systems"\)/);
      assert.match(finding.message, /nix flake update flake-utils/);
      assert.equal(finding.attrPath, "nodes.systems.locked");
    });

    void it("flags missing narHash or rev at the locked key", () => {
      const text = lockText({ nixpkgs: nixpkgs("nixos-26.05", { rev: null, narHash: null }) }, { nixpkgs: "nixpkgs" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/lock-unlocked-input");
      assert.equal(text.slice(finding.start, finding.end), '"locked"');
      assert.match(finding.message, /lacks narHash and rev/);
    });

    void it("requires narHash but not rev for tarballs", () => {
      const tarball = (narHash: boolean): Json => ({
        locked: { type: "tarball", url: "https://example.org/src.tar.gz", ...(narHash ? { narHash: NAR } : {}) },
        original: { type: "tarball", url: "https://example.org/src.tar.gz" },
      });
      assert.deepEqual(checkFlakeLock(lockText({ src: tarball(true) }, { src: "src" }), POLICY), []);
      assert.deepEqual(ids(checkFlakeLock(lockText({ src: tarball(false) }, { src: "src" }), POLICY)), ["pinning/lock-unlocked-input"]);
    });

    void it("requires rev for git inputs", () => {
      const node = {
        locked: { type: "git", url: "https://git.example.org/repo", narHash: NAR },
        original: { type: "git", url: "https://git.example.org/repo" },
      };
      const finding = only(checkFlakeLock(lockText({ repo: node }, { repo: "repo" }), POLICY), "pinning/lock-unlocked-input");
      assert.match(finding.message, /type "git"\) lacks rev/);
    });
  });

  void describe("lock-indirect-input", () => {
    void it("flags a registry reference at original.type and suggests the full URL", () => {
      const node = { ...nixpkgs("nixos-26.05"), original: { id: "nixpkgs", type: "indirect" } };
      const text = lockText({ nixpkgs: node }, { nixpkgs: "nixpkgs" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/lock-indirect-input");
      assert.equal(text.slice(finding.start, finding.end), '"indirect"');
      assert.match(finding.message, /flake registry/);
      assert.match(finding.message, /inputs\.nixpkgs\.url = "github:NixOS\/nixpkgs\/nixos-26\.05"/);
      assert.equal(ids(checkFlakeLock(text, POLICY)).includes("pinning/nixpkgs-unsupported-branch"), false);
    });

    void it("flags transitive indirect inputs too", () => {
      const node = { ...github("numtide", "flake-utils"), original: { id: "flake-utils", type: "indirect" } };
      const text = lockText({ ...healthyNodes(), "flake-utils_2": node, tool: github("acme", "tool", { inputs: { utils: "flake-utils_2" } }) }, { ...HEALTHY_ROOT, tool: "tool" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/lock-indirect-input");
      assert.match(finding.message, /transitive input "tool\/utils"/);
      assert.match(finding.message, /inputs\.tool\.inputs\.utils\.url = "github:numtide\/flake-utils"/);
    });
  });

  void describe("lock-path-input", () => {
    void it("flags absolute paths and file URLs but not relative subflakes", () => {
      const absolute = {
        locked: { lastModified: FRESH, narHash: NAR, path: "/home/alice/src/tool", type: "path" },
        original: { path: "/home/alice/src/tool", type: "path" },
      };
      const gitFile = {
        locked: { lastModified: FRESH, narHash: NAR, rev: REV, type: "git", url: "file:///home/alice/src/other" },
        original: { type: "git", url: "file:///home/alice/src/other" },
      };
      const relative = {
        locked: { path: "./modules", type: "path" },
        original: { path: "./modules", type: "path" },
        parent: [],
      };
      const text = lockText({ tool: absolute, other: gitFile, modules: relative }, { tool: "tool", other: "other", modules: "modules" });
      const findings = checkFlakeLock(text, POLICY);
      assert.deepEqual(ids(findings), ["pinning/lock-path-input", "pinning/lock-path-input"]);
      // Sorted by offset: node "other" precedes node "tool".
      assert.equal(text.slice(findings[0]?.start, findings[0]?.end), '"file:///home/alice/src/other"');
      assert.equal(text.slice(findings[1]?.start, findings[1]?.end), '"/home/alice/src/tool"');
    });
  });

  void describe("nixpkgs-unsupported-branch", () => {
    void it("flags an end-of-life release at original.ref, with exact line", () => {
      const text = lockText({ nixpkgs: nixpkgs("nixos-23.11") }, { nixpkgs: "nixpkgs" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.equal(finding.start, text.indexOf('"nixos-23.11"'));
      assert.equal(finding.end, finding.start + '"nixos-23.11"'.length);
      // nodes > nixpkgs > locked (7 lines) > original > owner, ref
      assert.equal(lineOf(text, finding.start), 14);
      assert.equal(text.split("\n")[13], '        "ref": "nixos-23.11",');
      assert.equal(finding.attrPath, "nodes.nixpkgs.original.ref");
      assert.match(finding.message, /^input "nixpkgs" \(flake\.lock node "nixpkgs"\) tracks nixpkgs branch "nixos-23\.11"/);
      assert.match(finding.message, /track github:NixOS\/nixpkgs\/nixos-26\.05 in flake\.nix/);
      assert.match(finding.message, /nix flake update nixpkgs/);
    });

    void it("accepts every supported branch", () => {
      for (const branch of DEFAULT_PINNING_POLICY.supportedBranches) {
        assert.deepEqual(checkFlakeLock(lockText({ nixpkgs: nixpkgs(branch) }, { nixpkgs: "nixpkgs" }), POLICY), [], branch);
      }
    });

    void it("flags master and a missing ref (default branch)", () => {
      const master = only(checkFlakeLock(lockText({ nixpkgs: nixpkgs("master") }, { nixpkgs: "nixpkgs" }), POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.match(master.message, /"master"/);
      assert.match(master.message, /nixos-unstable/);
      const text = lockText({ nixpkgs: nixpkgs(undefined) }, { nixpkgs: "nixpkgs" });
      const none = only(checkFlakeLock(text, POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.match(none.message, /tracks nixpkgs without a branch, i\.e\. its default branch master, which/);
      assert.equal(text.slice(none.start, none.end), '"original"');
    });

    void it("suggests a branch of the same flavour", () => {
      const darwin = only(checkFlakeLock(lockText({ nixpkgs: nixpkgs("nixpkgs-24.11-darwin") }, { nixpkgs: "nixpkgs" }), POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.match(darwin.message, /github:NixOS\/nixpkgs\/nixpkgs-26\.05-darwin/);
      const small = only(checkFlakeLock(lockText({ nixpkgs: nixpkgs("nixos-24.05-small") }, { nixpkgs: "nixpkgs" }), POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.match(small.message, /github:NixOS\/nixpkgs\/nixos-26\.05-small/);
    });

    void it("names the input path of a transitive nixpkgs and suggests follows", () => {
      const nodes = healthyNodes();
      nodes["home-manager"] = github("nix-community", "home-manager", { ref: "release-24.11", inputs: { nixpkgs: "nixpkgs_2" } });
      nodes["nixpkgs_2"] = nixpkgs("nixos-24.11");
      const text = lockText(nodes, HEALTHY_ROOT);
      const finding = only(checkFlakeLock(text, POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.match(finding.message, /^transitive input "home-manager\/nixpkgs" \(flake\.lock node "nixpkgs_2"\)/);
      assert.match(finding.message, /add inputs\.home-manager\.inputs\.nixpkgs\.follows = "nixpkgs" to flake\.nix/);
    });

    void it("judges commit pins by age only", () => {
      const text = lockText({ nixpkgs: nixpkgs(undefined, { originalRev: REV }) }, { nixpkgs: "nixpkgs" });
      assert.deepEqual(checkFlakeLock(text, POLICY), []);
    });

    void it("reads the channel from a nixpkgs tarball URL", () => {
      const url = "https://channels.nixos.org/nixos-23.11/nixexprs.tar.xz";
      const node = { locked: { narHash: NAR, type: "tarball", url }, original: { type: "tarball", url } };
      const text = lockText({ nixpkgs: node }, { nixpkgs: "nixpkgs" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/nixpkgs-unsupported-branch");
      assert.equal(text.slice(finding.start, finding.end), JSON.stringify(url));
    });

    void it("detects nixpkgs by repository, not only by node name", () => {
      const text = lockText({ pkgs: nixpkgs("nixos-22.05") }, { pkgs: "pkgs" });
      assert.deepEqual(ids(checkFlakeLock(text, POLICY)), ["pinning/nixpkgs-unsupported-branch"]);
      // flake-parts' nixpkgs-lib comes from nix-community/nixpkgs.lib: not nixpkgs.
      const lib = lockText({ "nixpkgs-lib": github("nix-community", "nixpkgs.lib") }, { "nixpkgs-lib": "nixpkgs-lib" });
      assert.deepEqual(checkFlakeLock(lib, POLICY), []);
    });

    void it("is disabled by an empty supported list", () => {
      const text = lockText({ nixpkgs: nixpkgs("nixos-23.11") }, { nixpkgs: "nixpkgs" });
      assert.deepEqual(checkFlakeLock(text, { ...POLICY, supportedBranches: [] }), []);
    });
  });

  void describe("nixpkgs-too-old", () => {
    void it("flags a revision older than maxAgeDays at lastModified", () => {
      const text = lockText({ nixpkgs: nixpkgs("nixos-26.05", { lastModified: NOW - 45 * DAY }) }, { nixpkgs: "nixpkgs" });
      const finding = only(checkFlakeLock(text, POLICY), "pinning/nixpkgs-too-old");
      assert.equal(text.slice(finding.start, finding.end), String(NOW - 45 * DAY));
      assert.match(finding.message, /from 2026-10-11, 45 days old \(limit: 30 days\)/);
      assert.match(finding.message, /run nix flake update nixpkgs/);
    });

    void it("accepts exactly maxAgeDays and respects a custom limit", () => {
      const text = lockText({ nixpkgs: nixpkgs("nixos-26.05", { lastModified: NOW - 30 * DAY }) }, { nixpkgs: "nixpkgs" });
      assert.deepEqual(checkFlakeLock(text, POLICY), []);
      assert.deepEqual(ids(checkFlakeLock(text, { ...POLICY, maxAgeDays: 7 })), ["pinning/nixpkgs-too-old"]);
    });

    void it("checks transitive nixpkgs but not other inputs", () => {
      const nodes = healthyNodes();
      nodes["systems"] = github("nix-systems", "default", { lastModified: NOW - 900 * DAY });
      nodes["tool"] = github("acme", "tool", { inputs: { nixpkgs: "nixpkgs_2" } });
      nodes["nixpkgs_2"] = nixpkgs("nixos-unstable", { lastModified: NOW - 60 * DAY });
      const finding = only(checkFlakeLock(lockText(nodes, { ...HEALTHY_ROOT, tool: "tool" }), POLICY), "pinning/nixpkgs-too-old");
      assert.match(finding.message, /transitive input "tool\/nixpkgs"/);
      assert.match(finding.message, /inputs\.tool\.inputs\.nixpkgs\.follows = "nixpkgs"/);
    });
  });

  void describe("owners", () => {
    void it("flags a nixpkgs fork and matches owners case-insensitively", () => {
      const fork = lockText({ nixpkgs: github("someone", "nixpkgs", { ref: "nixos-26.05" }) }, { nixpkgs: "nixpkgs" });
      const finding = only(checkFlakeLock(fork, POLICY), "pinning/nixpkgs-owner");
      assert.equal(fork.slice(finding.start, finding.end), '"someone"');
      assert.match(finding.message, /github owner "someone"/);
      const lower = lockText({ nixpkgs: github("nixos", "nixpkgs", { ref: "nixos-26.05" }) }, { nixpkgs: "nixpkgs" });
      assert.deepEqual(checkFlakeLock(lower, POLICY), []);
    });

    void it("applies allowedInputOwners to other forge inputs only when set", () => {
      const text = lockText(healthyNodes(), HEALTHY_ROOT);
      assert.deepEqual(checkFlakeLock(text, POLICY), []);
      const findings = checkFlakeLock(text, { ...POLICY, allowedInputOwners: ["nix-community", "NUMTIDE"] });
      const finding = only(findings, "pinning/input-owner");
      assert.match(finding.message, /transitive input "flake-utils\/systems".*"nix-systems"/);
    });
  });

  void it("ignores nodes not reachable from the root, as Nix does", () => {
    const text = lockText({ ...healthyNodes(), stale: nixpkgs("nixos-20.03") }, HEALTHY_ROOT);
    assert.deepEqual(checkFlakeLock(text, POLICY), []);
  });

  void it("never throws on arbitrary strings or mutated lock files", () => {
    const base = lockText(
      { ...healthyNodes(), old: nixpkgs("nixos-23.11", { lastModified: NOW - 99 * DAY }) },
      { ...HEALTHY_ROOT, old: "old" },
    );
    const check = (text: string): void => {
      for (const finding of checkFlakeLock(text, POLICY)) {
        assert.ok(finding.start >= 0 && finding.start <= finding.end && finding.end <= text.length, JSON.stringify(finding));
        assert.ok(PINNING_LOCK_RULES.some((rule) => rule.id === finding.ruleId));
      }
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 300 });
    fc.assert(fc.property(fc.json(), check), { numRuns: 300 });
    const mutation = fc.record({ at: fc.nat(), remove: fc.nat({ max: 8 }), insert: fc.string({ maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let text = base;
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert + text.slice(at + m.remove);
        }
        check(text);
      }),
      { numRuns: 500 },
    );
    // Structure-preserving mutations: swap values for values of other JSON kinds.
    const parsedBase = JSON.parse(base) as Json;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths(parsedBase)), fc.jsonValue()), { maxLength: 3 }), (edits) => {
        const copy = structuredClone(parsedBase);
        for (const [path, value] of edits) setPath(copy, path, value);
        check(JSON.stringify(copy, null, 2));
      }),
      { numRuns: 300 },
    );
  });
});

void describe("PINNING_LOCK_RULES", () => {
  void it("documents every rule under a unique id", () => {
    const seen = new Set<string>();
    for (const rule of PINNING_LOCK_RULES) {
      assert.match(rule.id, /^pinning\/[a-z-]+$/);
      assert.equal(rule.category, "pinning");
      assert.ok(!seen.has(rule.id));
      seen.add(rule.id);
      for (const field of [rule.title, rule.help, rule.bad, rule.good]) assert.ok(field.length > 0);
    }
    assert.deepEqual([...seen].sort(), [
      "pinning/input-owner",
      "pinning/lock-indirect-input",
      "pinning/lock-malformed",
      "pinning/lock-path-input",
      "pinning/lock-unlocked-input",
      "pinning/nixpkgs-owner",
      "pinning/nixpkgs-too-old",
      "pinning/nixpkgs-unsupported-branch",
    ]);
  });

  void it("has bad snippets that trigger the rule and good ones that do not", () => {
    const policy: PinningPolicy = { ...POLICY, allowedInputOwners: ["our-org"] };
    for (const rule of PINNING_LOCK_RULES) {
      assert.ok(ids(checkFlakeLock(rule.bad, policy)).includes(rule.id), `${rule.id} bad`);
      assert.ok(!ids(checkFlakeLock(rule.good, policy)).includes(rule.id), `${rule.id} good`);
      assert.deepEqual(checkFlakeLock(rule.good, policy), [], `${rule.id} good is clean`);
    }
  });
});

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const out: string[][] = [prefix];
  for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  return out;
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return;
    node = (node as Json)[key];
  }
  const last = path[path.length - 1];
  if (last !== undefined && node !== null && typeof node === "object") (node as Json)[last] = value;
}

void describe("follows resolution", () => {
  void it("resolves a path whose steps reuse the same follows without a false cycle", () => {
    // root.x follows ["n"], and n.y follows ["n"] again: resolving x/y visits "n" twice, which is no cycle.
    const text = lockText(
      {
        n: github("acme", "n", { inputs: { y: ["n"] } }),
        z: github("acme", "z", { inputs: { dep: ["x", "y"] } }),
      },
      { n: "n", x: ["n"], z: "z" },
    );
    assert.deepEqual(checkFlakeLock(text, POLICY), []);
  });

  void it("stays fast on long follows chains", () => {
    const nodes: Record<string, Json> = {};
    const root: Record<string, string | string[]> = { base: "base" };
    nodes["base"] = github("acme", "base");
    for (let i = 0; i < 400; i++) root[`f${i}`] = i === 0 ? ["base"] : [`f${i - 1}`];
    const started = Date.now();
    assert.deepEqual(checkFlakeLock(lockText(nodes, root), POLICY), []);
    assert.ok(Date.now() - started < 2000);
  });

  void it("reports instead of overflowing the stack on absurdly long chains", () => {
    const root: Record<string, string | string[]> = { base: "base" };
    for (let i = 0; i < 3_000; i++) root[`f${i}`] = i === 0 ? ["base"] : [`f${i - 1}`];
    const findings = checkFlakeLock(lockText({ base: github("acme", "base") }, root), POLICY);
    assert.ok(findings.length > 0 && findings.every((f) => f.ruleId === "pinning/lock-malformed"));
    assert.match(findings[0]?.message ?? "", /chain of more than 256 follows/);
  });
});
