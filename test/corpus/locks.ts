/** flake.lock fixtures shared by the pinning, cache-trust and negative cases. */
import { DAY, NOW_SECONDS } from "./clock.js";
import { fake } from "./fake.js";
import { forgeNode, lockFile, type RenderedLock } from "./label.js";

export const FRESH = NOW_SECONDS - 3 * DAY - 4711;

/** Nodes of a typical fleet flake, all locked and fresh, all following the root nixpkgs. */
export function fleetNodes(): Record<string, Record<string, unknown>> {
  return {
    nixpkgs: forgeNode({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-25.11", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH }),
    "home-manager": forgeNode({
      owner: "nix-community", repo: "home-manager", ref: "release-25.11", rev: fake.gitRev(), narHash: fake.sri(),
      lastModified: FRESH - 2 * DAY, inputs: { nixpkgs: ["nixpkgs"] },
    }),
    "sops-nix": forgeNode({
      owner: "Mic92", repo: "sops-nix", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 9 * DAY, inputs: { nixpkgs: ["nixpkgs"] },
    }),
    "flake-utils": forgeNode({
      owner: "numtide", repo: "flake-utils", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 200 * DAY, inputs: { systems: "systems" },
    }),
    systems: forgeNode({ owner: "nix-systems", repo: "default", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 700 * DAY }),
  };
}

/** A lock for a flake whose root inputs are `names` (each must be a fleet node), plus flake-utils' systems. */
export function fleetLock(names: readonly string[]): RenderedLock {
  const all = fleetNodes();
  const nodes: Record<string, unknown> = {};
  for (const n of names) {
    nodes[n] = all[n];
    if (n === "flake-utils") nodes.systems = all.systems;
  }
  return lockFile(nodes, Object.fromEntries(names.map((n) => [n, n])));
}
