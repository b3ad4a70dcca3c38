/**
 * The fleet's binary-cache trust policy (`hostplane-trust.yaml`): which caches
 * hosts may substitute from, which signing keys they trust, which keys are
 * revoked, and which key signs new paths. Nix itself has no revocation list —
 * trust is exactly the `trusted-public-keys` set — so revocation lives here and
 * is enforced by audits and by the host settings this file generates.
 */
import { z } from "zod";
import { LineCounter, parseDocument } from "yaml";

const PUBLIC_KEY = /^[^:\s]+:[A-Za-z0-9+/]{43}=$/;

const keySchema = z.strictObject({
  /** `<name>:<base64 of 32 bytes>`, as in `trusted-public-keys`. */
  publicKey: z.string().regex(PUBLIC_KEY, "expected a Nix public key `name:base64` (32 bytes)"),
  status: z.enum(["trusted", "revoked"]).default("trusted"),
  revokedAt: z.string().optional().describe("When the key was revoked (ISO date)."),
  reason: z.string().optional().describe("Why: rotation, compromise, … (shown in audits)."),
});

export const trustPolicySchema = z.strictObject({
  $schema: z.string().optional(),
  substituters: z.array(z.strictObject({
    url: z.string().regex(/^(?:https?|file|s3|ssh|ssh-ng):\/\/\S+$/, "expected a store URL such as https://cache.example.org"),
    /** Key names (the part before `:`) that sign this cache's paths. */
    keys: z.array(z.string().min(1)).default([]),
  })).min(1, "at least one substituter"),
  keys: z.array(keySchema).min(1, "at least one key"),
  /** The key name that signs new paths (`hostplane cache sign`), e.g. `fleet-3`. */
  signer: z.string().min(1).optional(),
}).superRefine((p, ctx) => {
  const names = new Map<string, number>();
  p.keys.forEach((k, i) => {
    const name = k.publicKey.slice(0, k.publicKey.indexOf(":"));
    if (names.has(name)) ctx.addIssue({ code: "custom", path: ["keys", i, "publicKey"], message: `key name "${name}" appears twice` });
    names.set(name, i);
  });
  p.substituters.forEach((s, i) => s.keys.forEach((n, j) => {
    if (!names.has(n)) ctx.addIssue({ code: "custom", path: ["substituters", i, "keys", j], message: `unknown key "${n}" (not in keys)` });
  }));
  if (p.signer !== undefined) {
    const i = names.get(p.signer);
    if (i === undefined) ctx.addIssue({ code: "custom", path: ["signer"], message: `unknown key "${p.signer}" (not in keys)` });
    else if (p.keys[i]!.status === "revoked") ctx.addIssue({ code: "custom", path: ["signer"], message: `signer "${p.signer}" is revoked` });
  }
});

export interface PolicyKey {
  name: string;
  publicKey: string;
  status: "trusted" | "revoked";
  revokedAt?: string;
  reason?: string;
}

export interface TrustPolicy {
  substituters: { url: string; keys: string[] }[];
  keys: PolicyKey[];
  signer?: string;
}

export class TrustPolicyError extends Error {
  override readonly name = "TrustPolicyError";
  constructor(readonly source: string, readonly problems: string[]) {
    super(`invalid trust policy ${source}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** Parse and validate a policy file (YAML or JSON). Errors name the file, the key path and the line. */
export function parseTrustPolicy(text: string, source: string): TrustPolicy {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TrustPolicyError(source, doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ""}${(e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "")}`;
    }));
  }
  const result = trustPolicySchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new TrustPolicyError(source, result.error.issues.map((issue) => {
      const node = issue.path.length ? doc.getIn(issue.path, true) as { range?: [number, number, number] } | undefined : undefined;
      const line = node?.range ? ` (line ${counter.linePos(node.range[0]).line})` : "";
      return `${issue.path.length ? issue.path.join(".") : "(top level)"}${line}: ${issue.message}`;
    }));
  }
  const p = result.data;
  return {
    substituters: p.substituters.map((s) => ({ url: s.url, keys: [...s.keys] })),
    keys: p.keys.map((k) => ({
      name: k.publicKey.slice(0, k.publicKey.indexOf(":")), publicKey: k.publicKey, status: k.status,
      ...(k.revokedAt !== undefined ? { revokedAt: k.revokedAt } : {}), ...(k.reason !== undefined ? { reason: k.reason } : {}),
    })),
    ...(p.signer !== undefined ? { signer: p.signer } : {}),
  };
}

/** Public keys hosts should trust: every key not revoked. */
export function trustedKeys(policy: TrustPolicy): string[] {
  return policy.keys.filter((k) => k.status === "trusted").map((k) => k.publicKey);
}

/** Public keys whose signatures no longer count. */
export function revokedKeys(policy: TrustPolicy): PolicyKey[] {
  return policy.keys.filter((k) => k.status === "revoked");
}

/** JSON Schema of the policy file, published as `schema/trust-policy.schema.json`. */
export function trustPolicyJsonSchema(): unknown {
  return { ...z.toJSONSchema(trustPolicySchema, { io: "input" }), title: "hostplane binary-cache trust policy" };
}
