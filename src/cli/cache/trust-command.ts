/** `hostplane cache trust-audit`: does this host's (or these files') Nix configuration honour the trust policy? */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Nix } from "../../nix/index.js";
import { auditEffectiveConfig, auditNixConf, type TrustAuditResult } from "../../cache/trust-audit.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { loadPolicy } from "./policy-file.js";

export const TRUST_AUDIT_HELP = `Usage: hostplane cache trust-audit [--policy FILE] [--json] [nix.conf…]

Audit Nix's binary-cache trust settings against the fleet's trust policy:
substituters only from the policy and over HTTPS, require-sigs on, trusted keys
only the policy's current (non-revoked) keys, trusted-users root only, no
accept-flake-config, no signing key in the store.

With files, audits those nix.conf files (e.g. collected from hosts). Without,
audits this host's effective settings as \`nix show-config --json\` reports them.

  --policy FILE   trust policy (default: hostplane-trust.yaml)
  --json          machine-readable output

Exit codes: 0 every source conforms, 1 a problem was found, 2 usage error, 3 Nix failed.
`;

export function renderTrustResults(results: TrustAuditResult[], json: boolean): string {
  if (json) return JSON.stringify({ sources: results }, null, 2) + "\n";
  const lines: string[] = [];
  for (const r of results) {
    if (r.problems.length === 0) {
      lines.push(`✔ ${r.source}: conforms to the trust policy`);
      continue;
    }
    lines.push(`✖ ${r.source}: ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}`);
    for (const p of r.problems) lines.push(`  ${p.where}  ${p.severity.padEnd(7)}  ${p.message}  ${p.ruleId}`);
  }
  return lines.join("\n") + "\n";
}

export async function trustAuditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { policy: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout(TRUST_AUDIT_HELP);
    return 0;
  }
  const { policy } = loadPolicy(io.cwd, values.policy);
  const results: TrustAuditResult[] = [];
  if (positionals.length === 0) {
    const config = await new Nix().showConfig();
    results.push(auditEffectiveConfig(config, "nix show-config", policy));
  } else {
    for (const file of positionals) {
      let text: string;
      try {
        text = readFileSync(resolve(io.cwd, file), "utf8");
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
      }
      results.push(auditNixConf(text, file, policy));
    }
  }
  io.stdout(renderTrustResults(results, values.json ?? false));
  return results.some((r) => r.problems.some((p) => p.severity === "error")) ? 1 : 0;
}
