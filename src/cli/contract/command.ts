/** `hostplane contract …`: does this host (or a saved facts snapshot) honour the host contract? */
import { existsSync, readFileSync } from "node:fs";
import { machine } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseTrustPolicy, type TrustPolicy } from "../../cache/trust-policy.js";
import {
  CONTRACT, PROFILE_NAMES, checkIgnorePatterns, contractConfigJsonSchema, evaluateContract, gatherPlan, parseContractConfig, parseFacts,
  profileChecks, resolveContractConfig, type ContractConfig, type ContractConfigInput, type ContractReport, type Facts, type ProfileName,
} from "../../contract/index.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { assertRegularFileTarget, writeFileAtomic } from "../write-file.js";
import { renderChecksList, renderReport } from "./render.js";

/** Where nixosModules.host writes the site values. */
export const DEFAULT_CONFIG_FILE = "/etc/hostplane/contract.json";

export const CONTRACT_HELP = `Usage: hostplane contract <subcommand> [options]

Does this host honour the host contract (KVM, kernel, cgroup v2, nftables,
WireGuard, bridge and tap, storage paths, systemd, journald, Nix trust)?

Subcommands:
  check                gather this host's facts and evaluate them
  evaluate FACTS.json  evaluate a saved facts snapshot (from check --facts-out)
  list                 the checks of a profile, with the NixOS options that satisfy them
  schema               print the JSON Schema of the site config file

Options (check, evaluate):
  --profile P          microvm-host (default) or control-plane
  --ignore ID          skip a check or a whole group (kvm, network, hygiene, …); repeatable
  --config FILE        site values (default ${DEFAULT_CONFIG_FILE} when it exists)
  --trust-policy FILE  judge Nix substituters and keys against the fleet's trust policy
  --json               the report as JSON
Options (check only):
  --facts-out FILE     also save the gathered facts (evaluate them elsewhere later)
  --no-scratch         skip the probes that create links in a scratch network namespace

Output: one line per check, PASS/WARN/FAIL/SKIP with the value seen; anything
not passing carries a hint and the NixOS option to set.
Exit codes: 0 no check failed, 1 a check failed, 2 usage or input error, 3 internal error.
`;

const COMMON = {
  profile: { type: "string" },
  ignore: { type: "string", multiple: true },
  config: { type: "string" },
  "trust-policy": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function readInput(io: CliIo, file: string, what: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

function loadConfig(io: CliIo, explicit: string | undefined): ContractConfigInput | undefined {
  if (explicit !== undefined) return parseContractConfig(readInput(io, explicit, "contract config"), explicit);
  if (existsSync(DEFAULT_CONFIG_FILE)) return parseContractConfig(readInput(io, DEFAULT_CONFIG_FILE, "contract config"), DEFAULT_CONFIG_FILE);
  return undefined;
}

function profileOf(value: string): ProfileName {
  if (!(PROFILE_NAMES as readonly string[]).includes(value)) throw new UsageError(`--profile ${value}: expected one of ${PROFILE_NAMES.join(", ")}`);
  return value as ProfileName;
}

interface Common { site: ContractConfigInput; config: ContractConfig; profile: ProfileName; ignore: string[]; trustPolicy?: TrustPolicy; json: boolean }

type CommonValues = { profile?: string; ignore?: string[]; config?: string; "trust-policy"?: string; json?: boolean };

/**
 * Site config, profile, ignores and trust policy, all validated before anything
 * is gathered. `fallback` is the site config to use when none is given (a
 * snapshot's own, for evaluate).
 */
function common(io: CliIo, values: CommonValues, fallback?: ContractConfigInput): Common {
  const input = loadConfig(io, values.config) ?? fallback ?? {};
  // --profile overrides the file's, and brings that profile's defaults (e.g. forwarding) where the file is silent.
  const site = values.profile === undefined ? input : { ...input, profile: profileOf(values.profile) };
  const config = resolveContractConfig(site);
  checkIgnorePatterns(config.ignore, values.config ?? "the site config");
  checkIgnorePatterns(values.ignore ?? [], "--ignore");
  const policyFile = values["trust-policy"];
  const trustPolicy = policyFile === undefined ? undefined : parseTrustPolicy(readInput(io, policyFile, "trust policy"), policyFile);
  return { site, config, profile: config.profile, ignore: values.ignore ?? [], json: values.json ?? false, ...(trustPolicy ? { trustPolicy } : {}) };
}

function report(io: CliIo, facts: Facts, c: Common): number {
  const r: ContractReport = evaluateContract(facts, { config: c.config, profile: c.profile, ignore: c.ignore, ...(c.trustPolicy ? { trustPolicy: c.trustPolicy } : {}) });
  io.stdout(c.json ? JSON.stringify(r, null, 2) + "\n" : renderReport(r, { color: io.isTTY && !io.env["NO_COLOR"], durationMs: facts.durationMs }));
  return r.ok ? 0 : 1;
}

async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { ...COMMON, "facts-out": { type: "string" }, "no-scratch": { type: "boolean" } },
  });
  if (values.help) { io.stdout(CONTRACT_HELP); return 0; }
  if (positionals.length > 0) throw new UsageError(`contract check takes no arguments (got ${positionals.join(" ")}); to evaluate a saved snapshot use contract evaluate FILE`);
  const c = common(io, values);
  const { gatherFacts } = await import("../../contract/linux/index.js");
  const out = values["facts-out"] === undefined ? undefined : resolve(io.cwd, values["facts-out"]);
  if (out !== undefined) assertRegularFileTarget(out);
  const facts: Facts = { ...(await gatherFacts({ ...gatherPlan(c.config, machine()), scratch: !values["no-scratch"] })), site: c.site };
  if (out !== undefined) writeFileAtomic(out, JSON.stringify(facts, null, 2) + "\n");
  return report(io, facts, c);
}

function evaluateCommand(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: COMMON });
  if (values.help) { io.stdout(CONTRACT_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError("contract evaluate takes exactly one facts file (written by contract check --facts-out)");
  const file = positionals[0]!;
  const text = readInput(io, file, "facts file");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const facts = parseFacts(data, file);
  return report(io, facts, common(io, values, facts.site));
}

function listCommand(argv: string[], io: CliIo): number {
  const { values } = parseArgs({ args: argv, strict: true, options: { profile: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  if (values.help) { io.stdout(CONTRACT_HELP); return 0; }
  const checks = values.profile === undefined ? [...CONTRACT] : profileChecks(profileOf(values.profile));
  if (values.json) {
    const data = checks.map((c) => ({ id: c.id, group: c.group, title: c.title, why: c.why, severity: c.severity, profiles: c.profiles, nixos: c.nixos, hint: c.hint, whenUnknown: c.whenUnknown }));
    io.stdout(JSON.stringify(data, null, 2) + "\n");
  } else {
    io.stdout(renderChecksList(checks));
  }
  return 0;
}

export async function contractCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "check": return checkCommand(rest, io);
    case "evaluate": return evaluateCommand(rest, io);
    case "list": return listCommand(rest, io);
    case "schema":
      parseArgs({ args: rest, strict: true, options: {} });
      io.stdout(JSON.stringify(contractConfigJsonSchema(), null, 2) + "\n");
      return 0;
    case undefined: case "-h": case "--help": io.stdout(CONTRACT_HELP); return sub === undefined ? 2 : 0;
    default: throw new UsageError(`unknown contract subcommand "${sub}" (check, evaluate, list, schema)`);
  }
}
