/** Records for repository tests, made by code. */
import { createHash, randomBytes } from "node:crypto";
import type { NodeFacts } from "../../src/fleet/node.js";
import type { BootstrapToken, NewNode, OperatorToken } from "../../src/db/index.js";

export const T0 = Date.parse("2025-03-01T12:00:00.000Z");

/** The time `seconds` after T0, as the store gives it back. */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A secret as the server makes them (32 random bytes, base64url) and the hash the store keeps. */
export function secret(): { secret: string; hash: string } {
  const s = randomBytes(32).toString("base64url");
  return { secret: s, hash: sha256(s) };
}

export function newNode(name: string, extra: Partial<NewNode> = {}): NewNode {
  return { id: `id-${name}`, name, role: "microvm-host", labels: { zone: "a", rack: "r1" }, enrolledAt: at(0), ...extra };
}

/** Facts with nesting, unicode, numbers of every kind and keys in no particular order. */
export function facts(hostname: string, extra: Partial<NodeFacts> = {}): NodeFacts {
  return {
    workloads: [{ state: "running", id: "vm-β" }, { id: "vm-2", state: "stopping" }],
    hostname,
    kernel: "6.6.30",
    currentSystem: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-24.05",
    bootedSystem: null,
    generations: [{ number: 41, path: "/nix/store/x-41", current: false }, { path: "/nix/store/x-42", number: 42, current: true }],
    freeBytes: { "/nix": 123456789012, "/boot": 0, "/var/lib/microvms": 2 ** 52 },
    nixTrust: { "require-sigs": true, substituters: ["https://cache.example/"], "trusted-public-keys": ["fleet-1:abc="], zeta: { b: 1, a: [1.5, -0.25, 1e-7, null] } },
    contract: { schema: "hostplane.contract-report/v1", checks: { "kvm.present": { ok: true, value: "🙂 \"quoted\" \\ back" }, "10": 1, "9": 2 } },
    agentVersion: "0.1.0",
    ...extra,
  };
}

export function operatorToken(id: string, createdAt: string, hash: string): Omit<OperatorToken, "revokedAt"> {
  return { id, name: `token-${id}`, role: "operator", secretHash: hash, createdAt, expiresAt: null };
}

export function bootstrapToken(id: string, hash: string, extra: Partial<BootstrapToken> = {}): BootstrapToken {
  return { id, secretHash: hash, createdAt: at(0), createdBy: "operator:alice", expiresAt: at(3600), usesLeft: 3, labels: { pool: "blue" }, role: "microvm-host", ...extra };
}
