/** `hostplane cache rotate plan|status`: the staged signing-key rotation. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { normalizeSettingName, parseNixConf } from "../../guard/cache-trust/nix-settings.js";
import { rotationStatus, type HostTrust, type RotationStatus } from "../../cache/rotation.js";
import { auditClosure, memoizeNarinfos, openCache } from "../../cache/index.js";
import { expand, gatherRoots } from "./audit-command.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { loadPolicy } from "./policy-file.js";

export const ROTATE_HELP = `Usage: hostplane cache rotate plan   --name BASE [--policy FILE] [--json]
       hostplane cache rotate status --name BASE [--policy FILE] [--hosts nix.conf…]
                                     [--cache URL [--manifest FILE…] [PATH…]] [--json]

A signing-key rotation in five stages, each with the check that must hold
before the next: (1) generate BASE-(N+1) and trust it in the policy; (2) every
host trusts both keys; (3) the cache's paths are double-signed; (4) the new key
becomes the signer; (5) the old key is revoked and no host trusts it.

plan prints the stages and what to run; status checks each stage against the
policy, the hosts' nix.conf files (collected from the fleet) and, with --cache,
whether every path of the given closures verifies by the new key alone; it says
which stage is next. Exit code of status: 0 rotation complete, 1 stages remain.
`;

/** Keys a nix.conf trusts: trusted-public-keys plus extra-trusted-public-keys. */
function hostTrust(file: string, text: string): HostTrust {
  const keys: string[] = [];
  for (const e of parseNixConf(text).entries) {
    if (normalizeSettingName(e.key).name === "trusted-public-keys" && typeof e.values !== "boolean") keys.push(...e.values);
  }
  return { source: file, trustedKeys: keys };
}

function render(status: RotationStatus, json: boolean, plan: boolean): string {
  if (json) return JSON.stringify(status, null, 2) + "\n";
  const mark = { done: "✔", pending: "·", unknown: "?" } as const;
  const lines = [`rotation ${status.from ?? "(none)"} → ${status.to ?? "(next key not generated)"}`];
  status.stages.forEach((s, i) => {
    lines.push(`${plan ? " " : mark[s.state]} ${i + 1}. ${s.title}${plan ? "" : ` [${s.state}]`}`);
    if (!plan) lines.push(`      ${s.detail}`);
    if (plan || s === status.next) lines.push(`      → ${s.action}`);
  });
  if (!plan) lines.push(status.next ? `next: stage ${status.stages.indexOf(status.next) + 1}` : "rotation complete");
  return lines.join("\n") + "\n";
}

/** Stage 3's check: every path of the given closures verifies against the new key alone. */
async function doubleSigned(io: CliIo, url: string, newKey: string, manifests: readonly string[], paths: readonly string[]): Promise<{ ok: boolean; detail: string }> {
  const cache = memoizeNarinfos(await openCache(url));
  const { roots } = await gatherRoots(io, manifests, paths, cache.storeDir);
  if (roots.length === 0) throw new UsageError("--cache needs the fleet's closures: store paths or --manifest files");
  const closure = await expand(cache, roots, undefined);
  const report = await auditClosure({ paths: closure, cache, trusted: [newKey], revoked: [] });
  const name = newKey.slice(0, newKey.indexOf(":"));
  return {
    ok: report.problems.length === 0,
    detail: report.problems.length === 0
      ? `all ${report.total} paths verify by ${name} alone`
      : `${report.problems.length}/${report.total} paths do not verify by ${name} alone, e.g. ${report.problems[0]!.path} (${report.problems[0]!.kind})`,
  };
}

export async function rotateCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    io.stdout(ROTATE_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "plan" && sub !== "status") throw new UsageError(`unknown subcommand "cache rotate ${sub}" (expected: plan, status)`);
  const { values, positionals } = parseArgs({
    args: rest, strict: true,
    allowPositionals: true,
    options: {
      name: { type: "string" }, policy: { type: "string" }, hosts: { type: "string", multiple: true }, json: { type: "boolean" },
      cache: { type: "string" }, manifest: { type: "string", multiple: true }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(ROTATE_HELP);
    return 0;
  }
  if (values.name === undefined) throw new UsageError("--name is required: the key base name being rotated (e.g. fleet)");
  const loaded = loadPolicy(io.cwd, values.policy);
  const hosts = (values.hosts ?? []).map((file) => {
    try {
      return hostTrust(file, readFileSync(resolve(io.cwd, file), "utf8"));
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  });
  const input = { policy: loaded.policy, base: values.name, hosts, policyFile: values.policy ?? "hostplane-trust.yaml" };
  let status = rotationStatus(input);
  if (values.cache !== undefined && status.to !== null) {
    const newKey = loaded.policy.keys.find((k) => k.name === status.to)!.publicKey;
    status = rotationStatus({ ...input, doubleSigned: await doubleSigned(io, values.cache, newKey, values.manifest ?? [], positionals) });
  }
  io.stdout(render(status, values.json ?? false, sub === "plan"));
  return sub === "plan" || status.next === null ? 0 : 1;
}
