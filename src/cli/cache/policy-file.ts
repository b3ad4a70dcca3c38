/**
 * Reading and editing the trust policy file. Edits go through the YAML
 * document model, so the operator's comments and layout survive, and are
 * written atomically (temp file + rename): a failed write never leaves half a policy.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseDocument, isSeq, isMap } from "yaml";
import { parseTrustPolicy, type TrustPolicy } from "../../cache/trust-policy.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../write-file.js";

export const DEFAULT_POLICY_FILE = "hostplane-trust.yaml";

export interface LoadedPolicy {
  path: string;
  text: string;
  policy: TrustPolicy;
}

/** The policy named by --policy, or hostplane-trust.yaml in the current directory. */
export function loadPolicy(cwd: string, explicit: string | undefined): LoadedPolicy {
  const path = resolve(cwd, explicit ?? DEFAULT_POLICY_FILE);
  if (!existsSync(path)) {
    throw new UsageError(explicit === undefined
      ? `no trust policy: ${DEFAULT_POLICY_FILE} does not exist here; pass --policy FILE (see docs/security/supply-chain.md for the format)`
      : `trust policy ${explicit} does not exist`);
  }
  const text = readFileSync(path, "utf8");
  return { path, text, policy: parseTrustPolicy(text, explicit ?? DEFAULT_POLICY_FILE) };
}

/** Apply an edit to the policy document, re-validate the result, then write it. Returns the new policy. */
export function editPolicy(loaded: LoadedPolicy, edit: (keys: { items: unknown[] }, doc: ReturnType<typeof parseDocument>) => void): TrustPolicy {
  const doc = parseDocument(loaded.text);
  const keys = doc.get("keys", true);
  if (!isSeq(keys)) throw new UsageError(`${loaded.path}: "keys" must be a list`);
  edit(keys, doc);
  const text = doc.toString();
  const policy = parseTrustPolicy(text, loaded.path); // never write a policy that would not load
  writeFileAtomic(loaded.path, text);
  return policy;
}

/** Index of the key named `name` in the document's keys list, or -1. */
export function keyIndex(keys: { items: unknown[] }, name: string): number {
  return keys.items.findIndex((item) => {
    if (!isMap(item)) return false;
    const pk = item.get("publicKey");
    return typeof pk === "string" && pk.slice(0, pk.indexOf(":")) === name;
  });
}
