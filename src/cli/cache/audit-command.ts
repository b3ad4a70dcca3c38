/**
 * `hostplane cache audit` and `hostplane cache revoke`: is every path of the
 * fleet's closures in the cache, signed by a currently trusted key? And when a
 * key is revoked, which paths did only it sign?
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { auditClosure, closurePaths, memoizeNarinfos, openCache, readManifest, type AuditReport, type BinaryCache } from "../../cache/index.js";
import { revokedKeys, trustedKeys, type TrustPolicy } from "../../cache/trust-policy.js";
import { Nix } from "../../nix/index.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { editPolicy, keyIndex, loadPolicy } from "./policy-file.js";

export const AUDIT_HELP = `Usage: hostplane cache audit --cache URL [--policy FILE | --trust KEY…] [--store STORE]
                            [--manifest FILE…] [PATH…] [--json] [--concurrency N]

Check that every path of the given closures is in the binary cache URL (file://
or http(s)://) and carries a valid signature by a currently trusted key: the
policy's keys minus its revoked ones, or exactly the --trust keys. Reports each
path that is missing, unsigned, signed only by untrusted or revoked keys,
tampered (invalid signature) or malformed. Closures are expanded through the
local store when it has the paths (--store), otherwise through the cache.

Exit codes: 0 every path passes, 1 problems found, 2 usage error, 3 cache or Nix failure.
`;

export const REVOKE_HELP = `Usage: hostplane cache revoke --key NAME [--policy FILE] [--reason TEXT]
                             [--cache URL [--manifest FILE…] [PATH…]] [--json]

Mark the signing key NAME revoked in the trust policy (comments kept, written
atomically) and report the impact: which paths are signed only by it — in the
given closures, or, for a file:// cache given alone, in the whole cache — which
manifests contain them, and the re-sign plan. The signer cannot be revoked:
switch the signer first (hostplane cache rotate).

Exit codes: 0 revoked and nothing depends on the key alone, 1 revoked and some
paths are signed only by it (re-sign them), 2 usage error, 3 cache failure.
`;

interface Roots {
  roots: string[];
  /** Manifest file → its root paths, to say which releases are affected. */
  manifests: Map<string, string[]>;
}

/** Store paths given on the command line plus the roots of each release manifest. */
export async function gatherRoots(io: CliIo, manifests: readonly string[], paths: readonly string[], storeDir: string): Promise<Roots> {
  const byManifest = new Map<string, string[]>();
  for (const m of manifests) byManifest.set(m, await readManifest(resolve(io.cwd, m), { storeDir }));
  return { roots: [...new Set([...paths, ...[...byManifest.values()].flat()])], manifests: byManifest };
}

/** Every store path a file:// cache holds, from its narinfos' StorePath lines. */
function allPathsOfFileCache(url: string): string[] {
  const dir = fileURLToPath(url);
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".narinfo")) continue;
    const m = /^StorePath: (\S+)$/m.exec(readFileSync(join(dir, f), "utf8"));
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The closure of `roots`: through the local store when given one, else through the cache. */
export async function expand(cache: BinaryCache, roots: string[], store: string | undefined): Promise<string[]> {
  const nix = store !== undefined ? new Nix({ store }) : undefined;
  return (await closurePaths(roots, { cache, ...(nix ? { nix } : {}) })).paths;
}

function renderAudit(report: AuditReport, title: string): string {
  const lines = [`${title}: ${report.ok}/${report.total} paths pass (cache ${report.cache})`];
  const byKind = new Map<string, number>();
  for (const p of report.problems) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
  if (byKind.size) lines.push(`problems: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")}`);
  for (const p of report.problems) lines.push(`  ${p.kind.padEnd(12)} ${p.path}  ${p.detail}`);
  return lines.join("\n") + "\n";
}

const progress = (io: CliIo) => (done: number, total: number): void => {
  if (total >= 2000) io.stderr(`audited ${done}/${total} paths\n`);
};

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      cache: { type: "string" }, policy: { type: "string" }, trust: { type: "string", multiple: true }, store: { type: "string" },
      manifest: { type: "string", multiple: true }, json: { type: "boolean" }, concurrency: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(AUDIT_HELP);
    return 0;
  }
  if (values.cache === undefined) throw new UsageError("--cache URL is required (file:///path or https://host)");
  const concurrency = values.concurrency === undefined ? 32 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 512) throw new UsageError(`--concurrency must be an integer from 1 to 512 (got "${values.concurrency}")`);
  let policy: TrustPolicy | null = null;
  if (values.trust === undefined) policy = loadPolicy(io.cwd, values.policy).policy;
  const trusted = values.trust ?? trustedKeys(policy!);
  const revoked = policy ? revokedKeys(policy).map((k) => ({ name: k.name, publicKey: k.publicKey })) : [];
  const cache = memoizeNarinfos(await openCache(values.cache));
  const { roots } = await gatherRoots(io, values.manifest ?? [], positionals, cache.storeDir);
  if (roots.length === 0) throw new UsageError("give store paths or --manifest files to audit");
  const paths = await expand(cache, roots, values.store);
  const report = await auditClosure({ paths, cache, trusted, revoked, concurrency, onProgress: progress(io) });
  io.stdout(values.json ? JSON.stringify(report, null, 2) + "\n" : renderAudit(report, "audit"));
  return report.problems.length > 0 ? 1 : 0;
}

export async function revokeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      key: { type: "string" }, policy: { type: "string" }, reason: { type: "string" }, cache: { type: "string" },
      manifest: { type: "string", multiple: true }, store: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(REVOKE_HELP);
    return 0;
  }
  const name = values.key;
  if (name === undefined) throw new UsageError("--key NAME is required (e.g. --key fleet-1)");
  const loaded = loadPolicy(io.cwd, values.policy);
  const key = loaded.policy.keys.find((k) => k.name === name);
  if (!key) throw new UsageError(`the trust policy has no key named ${name} (keys: ${loaded.policy.keys.map((k) => k.name).join(", ")})`);
  if (loaded.policy.signer === name) throw new UsageError(`${name} is the policy's signer: make another key the signer first (hostplane cache rotate plan --name …)`);
  const already = key.status === "revoked";
  const policy = already ? loaded.policy : editPolicy(loaded, (keys, doc) => {
    const item = keys.items[keyIndex(keys, name)] as { set(k: string, v: unknown): void };
    item.set("status", "revoked");
    item.set("revokedAt", new Date(io.now()).toISOString().slice(0, 10));
    if (values.reason !== undefined) item.set("reason", doc.createNode(values.reason));
  });

  let impact: { report: AuditReport; manifests: Record<string, string[]> } | null = null;
  if (values.cache !== undefined) {
    const cache = memoizeNarinfos(await openCache(values.cache));
    const given = await gatherRoots(io, values.manifest ?? [], positionals, cache.storeDir);
    let paths: string[];
    if (given.roots.length > 0) paths = await expand(cache, given.roots, values.store);
    else if (values.cache.startsWith("file://")) paths = allPathsOfFileCache(values.cache);
    else throw new UsageError("an HTTP cache cannot be listed: give the closures to check (store paths or --manifest)");
    const report = await auditClosure({
      paths, cache, trusted: trustedKeys(policy), revoked: revokedKeys(policy).map((k) => ({ name: k.name, publicKey: k.publicKey })),
      onProgress: progress(io),
    });
    const onlyRevoked = report.problems.filter((p) => p.kind === "revoked-only" && p.signers.includes(name));
    const affected: Record<string, string[]> = {};
    for (const [manifest, roots] of given.manifests) {
      const closure = new Set(await expand(cache, roots, values.store));
      const hits = onlyRevoked.filter((p) => closure.has(p.path)).map((p) => p.path);
      if (hits.length) affected[manifest] = hits;
    }
    impact = { report: { ...report, problems: onlyRevoked }, manifests: affected };
  }

  if (values.json) {
    io.stdout(JSON.stringify({ key: name, alreadyRevoked: already, signer: policy.signer ?? null, impact }, null, 2) + "\n");
  } else {
    const lines = [already ? `${name} was already revoked in ${values.policy ?? "the trust policy"}` : `revoked ${name} in ${values.policy ?? "the trust policy"}`];
    if (impact === null) lines.push("impact not computed: pass --cache URL (and the fleet's closures) to see which paths only this key signed");
    else {
      const n = impact.report.problems.length;
      lines.push(`${n} of ${impact.report.total} paths are signed only by ${name}${n ? ":" : ""}`);
      for (const p of impact.report.problems) lines.push(`  ${p.path}`);
      for (const [m, hits] of Object.entries(impact.manifests)) lines.push(`release manifest ${m} contains ${hits.length} of them`);
      if (n) {
        lines.push("re-sign plan (after checking the content is yours, or rebuild from pinned sources):");
        lines.push(`  hostplane cache sign --key <dir>/${policy.signer ?? "<signer>"}.sec ${impact.report.problems.slice(0, 3).map((p) => p.path).join(" ")}${n > 3 ? " …" : ""}`);
        lines.push(`  nix copy --to ${values.cache ?? "<cache>"} <those paths>   # publish the new signatures`);
      }
    }
    lines.push("then remove the key from every host's trusted-public-keys, and check with: hostplane cache trust-audit <hosts' nix.conf>");
    io.stdout(lines.join("\n") + "\n");
  }
  return impact !== null && impact.report.problems.length > 0 ? 1 : 0;
}
