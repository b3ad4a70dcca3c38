/**
 * `hostplane guard`: check Nix sources, flake.lock and nix.conf files for
 * secrets, store leaks, unpinned inputs and unsafe binary-cache trust.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve, relative, join } from "node:path";
import { parseArgs } from "node:util";
import type { Finding, Severity } from "../../guard/finding.js";
import { CONFIG_FILE_NAMES, defaultGuardConfig, parseGuardConfig, type GuardConfig } from "../../guard/config.js";
import { applyBaseline, createBaseline, parseBaseline } from "../../guard/baseline.js";
import { compareFindings, reportFails, type GuardReport } from "../../guard/report.js";
import { ALL_RULES } from "../../guard/rules.js";
import { lintFile, fileKindOf } from "../../guard/lint.js";
import { gitRoot, stagedContent, stagedPaths } from "../../git/index.js";
import { renderReport, REPORT_FORMATS, type ReportFormat } from "../reporters/index.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../write-file.js";
import { collectTargets } from "./collect.js";
import { lintTargets } from "./pool.js";
import type { FileResult } from "./lint-target.js";
import type { CliIo } from "../io.js";
import { renderRulesMarkdown } from "./rules-markdown.js";

export const GUARD_HELP = `Usage: hostplane guard [options] [paths…]

Check Nix sources (*.nix), flake.lock and nix.conf files for secrets, secrets
copied into the world-readable /nix/store, unpinned inputs and unsafe
binary-cache trust. Paths default to "."; directories are walked honouring
.gitignore.

Options:
  --staged                 check what git has staged (for a pre-commit hook)
  --config FILE            config file (default: .hostplane-guard.yaml|.yml|.json in the current directory)
  --format text|json|sarif output format (default: text)
  --output FILE            write the report to FILE instead of stdout
  --fail-on error|warning|note
                           lowest severity that fails the run (default: config failOn, else error)
  --baseline FILE          report only findings not recorded in FILE
  --write-baseline FILE    record the current findings in FILE and exit 0
  --jobs N                 threads that lint (default: cores - 1, at least 1)
  --color / --no-color     force or disable colour in text output
  -h, --help               show this help

Subcommands:
  hostplane guard rules [--json|--markdown]
                                   list every rule with its severity and summary
  hostplane guard schema           print the JSON Schema of the config file

Suppress one finding with a comment on its line or the line above:
  # hostplane-guard: allow <rule-id> -- <reason>

Exit codes: 0 no failing findings, 1 findings at or above the failing
severity, 2 usage or configuration error, 3 internal error.
`;

const SEVERITIES: readonly Severity[] = ["error", "warning", "note"];

function parseSeverity(value: string | undefined, flag: string): Severity | undefined {
  if (value === undefined) return undefined;
  if (!(SEVERITIES as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${SEVERITIES.join(", ")} (got "${value}")`);
  return value as Severity;
}

function loadConfig(cwd: string, explicit: string | undefined, now: number): { config: GuardConfig; source: string | null } {
  const file = explicit !== undefined ? resolve(cwd, explicit) : CONFIG_FILE_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  if (file === undefined) return { config: defaultGuardConfig(now), source: null };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read config ${explicit ?? file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return { config: parseGuardConfig(text, relative(cwd, file) || file, now), source: file };
}

async function lintStaged(cwd: string, config: GuardConfig): Promise<{ root: string; results: FileResult[] }> {
  const root = await gitRoot(cwd);
  const paths = (await stagedPaths(root)).filter((p) => fileKindOf(p) !== null);
  const results: FileResult[] = [];
  const staged = new Set(paths);
  for (const rel of paths) {
    const text = await stagedContent(root, rel);
    let siblingLock: string | null | undefined;
    if (/(^|\/)flake\.nix$/.test(rel)) {
      const lockRel = rel.replace(/flake\.nix$/, "flake.lock");
      siblingLock = staged.has(lockRel) ? await stagedContent(root, lockRel) : existsSync(join(root, lockRel)) ? readFileSync(join(root, lockRel), "utf8") : null;
    }
    const { findings, suppressed } = lintFile({ file: rel, text, ...(siblingLock !== undefined ? { siblingLock } : {}) }, {
      policy: config.policy, severities: config.severities, disabled: config.disabled,
    });
    results.push({ rel, bytes: Buffer.byteLength(text), findings, suppressed, ...(findings.length ? { text } : {}) });
  }
  return { root, results };
}

export async function guardCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === "rules") return rulesCommand(argv.slice(1), io);
  if (argv[0] === "schema") {
    const { guardConfigJsonSchema } = await import("../../guard/config.js");
    io.stdout(JSON.stringify(guardConfigJsonSchema(), null, 2) + "\n");
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      staged: { type: "boolean" }, config: { type: "string" }, format: { type: "string" }, output: { type: "string" },
      "fail-on": { type: "string" }, baseline: { type: "string" }, "write-baseline": { type: "string" },
      jobs: { type: "string" }, color: { type: "boolean" }, "no-color": { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(GUARD_HELP);
    return 0;
  }
  const format = (values.format ?? "text") as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(", ")} (got "${values.format}")`);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs must be a positive integer (got "${values.jobs}")`);
  if (values.staged && positionals.length) throw new UsageError("--staged checks the git index; do not also give paths");

  const started = performance.now();
  const cwd = io.cwd;
  const now = io.now() / 1000;
  const { config } = loadConfig(cwd, values.config, now);
  const failOn = parseSeverity(values["fail-on"], "--fail-on") ?? config.failOn;
  const baseline = values.baseline === undefined ? null : (() => {
    const path = resolve(cwd, values.baseline);
    if (!existsSync(path)) throw new UsageError(`baseline file ${values.baseline} does not exist (create it with --write-baseline)`);
    return parseBaseline(readFileSync(path, "utf8"), values.baseline);
  })();

  let root = cwd;
  let results: FileResult[];
  if (values.staged) {
    ({ root, results } = await lintStaged(cwd, config));
  } else {
    const targets = collectTargets(positionals, { root: cwd, exclude: config.exclude });
    results = await lintTargets(targets, { policy: config.policy, severities: config.severities, disabled: config.disabled }, jobs);
  }

  let findings: Finding[] = results.flatMap((r) => r.findings).sort(compareFindings);
  if (values["write-baseline"] !== undefined) {
    writeFileAtomic(resolve(cwd, values["write-baseline"]), createBaseline(findings));
    io.stderr(`wrote ${findings.length} finding(s) to ${values["write-baseline"]}\n`);
    return 0;
  }
  let baselined = 0;
  if (baseline) {
    const applied = applyBaseline(findings, baseline);
    findings = applied.fresh;
    baselined = applied.baselined;
  }
  const report: GuardReport = {
    tool: { name: "hostplane", version: io.version },
    root,
    findings,
    rules: [...ALL_RULES],
    stats: {
      files: results.length,
      bytes: results.reduce((n, r) => n + r.bytes, 0),
      durationMs: performance.now() - started,
      suppressed: results.reduce((n, r) => n + r.suppressed, 0),
      baselined,
    },
    sources: new Map(results.flatMap((r) => (r.text !== undefined ? [[r.rel, r.text] as [string, string]] : []))),
    failOn,
  };
  const color = values["no-color"] ? false : values.color ? true : values.output === undefined && io.isTTY && !io.env.NO_COLOR;
  const rendered = renderReport(format, report, { color });
  if (values.output !== undefined) writeFileAtomic(resolve(cwd, values.output), rendered);
  else io.stdout(rendered);
  return reportFails(report) ? 1 : 0;
}

function rulesCommand(argv: string[], io: CliIo): number {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: { json: { type: "boolean" }, markdown: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout("Usage: hostplane guard rules [--json | --markdown]\n\nList every guard rule with its default severity and summary.\n");
    return 0;
  }
  if (values.markdown) {
    io.stdout(renderRulesMarkdown(ALL_RULES));
    return 0;
  }
  if (values.json) {
    io.stdout(JSON.stringify(ALL_RULES, null, 2) + "\n");
    return 0;
  }
  const width = Math.max(...ALL_RULES.map((r) => r.id.length));
  io.stdout(ALL_RULES.map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.title}`).join("\n") + "\n");
  return 0;
}
