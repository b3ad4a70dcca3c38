/**
 * Staged signing-key rotation, as a pure planner: given the trust policy and
 * what hosts (and optionally the cache) report, which stage is done, which is
 * next, and what proves each one. Nix trusts exactly `trusted-public-keys`, so
 * the order matters: a host must trust the new key before anything is signed
 * only by it, and the old key may go only when nothing needs it.
 */
import { splitKeyName } from "./key-name.js";
import type { TrustPolicy } from "./trust-policy.js";

export type CheckState = "done" | "pending" | "unknown";

export interface RotationStage {
  id: "generate" | "trust-both" | "double-sign" | "switch-signer" | "retire-old";
  title: string;
  state: CheckState;
  /** What was checked and what was seen. */
  detail: string;
  /** What to run to complete this stage. */
  action: string;
}

export interface HostTrust {
  source: string;
  trustedKeys: readonly string[];
}

export interface RotationInput {
  policy: TrustPolicy;
  /** Key base name, e.g. `fleet`. */
  base: string;
  hosts: readonly HostTrust[];
  /** Result of auditing the fleet's closures against the new key alone, when a cache was given. */
  doubleSigned?: { ok: boolean; detail: string };
  policyFile: string;
}

export interface RotationStatus {
  from: string | null;
  to: string | null;
  stages: RotationStage[];
  /** The first stage not done, or null when the rotation is complete. */
  next: RotationStage | null;
}

function generationOf(name: string, base: string): number | null {
  const parts = splitKeyName(name);
  return parts !== null && parts.base === base ? parts.generation : null;
}

export function rotationStatus(input: RotationInput): RotationStatus {
  const { policy, base, hosts, policyFile } = input;
  const ofBase = policy.keys
    .map((k) => ({ key: k, gen: generationOf(k.name, base) }))
    .filter((x): x is { key: (typeof policy.keys)[number]; gen: number } => x.gen !== null)
    .sort((a, b) => a.gen - b.gen);
  // A rotation runs from the second-newest key of the base to the newest; with one key, none has started.
  const newest = ofBase[ofBase.length - 1];
  const previous = ofBase.length > 1 ? ofBase[ofBase.length - 2] : undefined;
  const to = previous !== undefined ? newest : undefined;
  const from = previous ?? newest;
  const toName = to?.key.name ?? `${base}-${(newest?.gen ?? 0) + 1}`;
  const fromName = from?.key.name ?? null;
  const newKey = to?.key.publicKey;
  const oldKey = from?.key.publicKey;
  const trusting = (key: string | undefined): HostTrust[] => (key === undefined ? [] : hosts.filter((h) => h.trustedKeys.includes(key)));
  const stages: RotationStage[] = [];

  stages.push({
    id: "generate", title: `generate ${toName} and add it to the policy as trusted`,
    state: to !== undefined && to.key.status === "trusted" ? "done" : "pending",
    detail: to !== undefined ? `${to.key.name} is in ${policyFile} (${to.key.status})` : `${policyFile} has no ${base}-N newer than ${fromName ?? "any key"}`,
    action: `hostplane cache key generate --name ${base} --out-dir <secure dir> --policy ${policyFile} --add-to-policy`,
  });
  const trustNew = trusting(newKey);
  stages.push({
    id: "trust-both", title: `every host trusts ${toName} (next to ${fromName ?? "the old key"})`,
    state: hosts.length === 0 ? "unknown" : newKey !== undefined && trustNew.length === hosts.length ? "done" : "pending",
    detail: hosts.length === 0
      ? "no host configurations given (--hosts nix.conf…)"
      : `${trustNew.length}/${hosts.length} hosts trust ${toName}` +
        (trustNew.length < hosts.length ? `; not yet: ${hosts.filter((h) => !trustNew.includes(h)).slice(0, 5).map((h) => h.source).join(", ")}` : ""),
    action: `add ${newKey ?? `${toName}'s public key`} to nix.settings.trusted-public-keys beside the old key, deploy to every host, re-run status with their nix.conf files`,
  });
  stages.push({
    id: "double-sign", title: `every path of the fleet's closures is also signed by ${toName}`,
    state: input.doubleSigned === undefined ? "unknown" : input.doubleSigned.ok ? "done" : "pending",
    detail: input.doubleSigned?.detail ?? "not checked: pass --cache URL and the fleet's closures (store paths or --manifest)",
    action: `hostplane cache sign --key <dir>/${toName}.sec --recursive <closures>, then copy the signatures to the cache (nix copy --to <cache>)`,
  });
  stages.push({
    id: "switch-signer", title: `${toName} signs new paths`,
    state: to !== undefined && policy.signer === to.key.name ? "done" : "pending",
    detail: `policy signer is ${policy.signer ?? "not set"}`,
    action: `set signer: ${toName} in ${policyFile} and switch the build/CI signing key to ${toName}.sec`,
  });
  const trustOld = trusting(oldKey);
  const oldRevoked = to !== undefined && from?.key.status === "revoked";
  stages.push({
    id: "retire-old", title: `${fromName ?? "the old key"} is revoked and no host trusts it`,
    state: !oldRevoked ? "pending" : hosts.length === 0 ? "unknown" : trustOld.length === 0 ? "done" : "pending",
    detail: `${fromName ?? "old key"} is ${to !== undefined ? from?.key.status : "still the current key"} in the policy; ${trustOld.length}/${hosts.length} hosts still trust it`,
    action: `hostplane cache revoke --key ${fromName ?? "OLD"} --policy ${policyFile}, then remove it from every host's trusted-public-keys`,
  });
  // Stages are sequential: a stage counts as done only when every earlier one is.
  let blocked = false;
  for (const st of stages) {
    if (blocked && st.state === "done") st.state = "pending";
    if (st.state !== "done") blocked = true;
  }
  return { from: fromName, to: to?.key.name ?? null, stages, next: stages.find((st) => st.state !== "done") ?? null };
}
