/**
 * The guard configuration file (`.hostplane-guard.yaml`, YAML or JSON):
 * one zod schema validates it, every problem is reported with its key path
 * and line, and the result becomes the policies the rules use.
 */
import { z } from "zod";
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { Severity } from "./finding.js";
import { cacheTrustPolicyFromConfig } from "./cache-trust/nix-settings.js";
import { DEFAULT_PINNING_POLICY, type PinningPolicy } from "./pinning/flake-lock.js";
import type { GuardPolicy } from "./nix-rules/context.js";
import { ALL_RULES, KNOWN_RULE_IDS } from "./rules.js";

export const CONFIG_FILE_NAMES = [".hostplane-guard.yaml", ".hostplane-guard.yml", ".hostplane-guard.json"] as const;

const severity = z.enum(["error", "warning", "note"]);
const ruleSetting = z.union([severity, z.literal("off")]);

const isRuleKey = (id: string): boolean =>
  KNOWN_RULE_IDS.has(id) || (id.endsWith("/*") && ALL_RULES.some((r) => r.category === id.slice(0, -2)));

export const guardConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  failOn: severity.optional().describe("Lowest severity that makes guard exit 1 (default: error)."),
  substituters: z.array(z.union([
    z.string().min(1),
    z.strictObject({ url: z.string().min(1), keys: z.array(z.string().regex(/^[^:\s]+:[A-Za-z0-9+/]+=*$/, "expected a Nix public key `name:base64`")) }),
  ])).optional().describe("Allowed binary caches; replaces the default (cache.nixos.org). A plain URL pairs with trustedKeys named after its host."),
  trustedKeys: z.array(z.string().regex(/^[^:\s]+:[A-Za-z0-9+/]+=*$/, "expected a Nix public key `name:base64`")).optional()
    .describe("Trusted public signing keys; replaces the default cache.nixos.org key."),
  pinning: z.strictObject({
    supportedBranches: z.array(z.string().min(1)).optional(),
    maxAgeDays: z.number().int().min(0).optional().describe("0 disables the age check."),
    allowedOwners: z.array(z.string().min(1)).optional().describe("Allowed owners of nixpkgs inputs."),
    allowedInputOwners: z.array(z.string().min(1)).optional().describe("When set, allowed owners of every other forge input."),
  }).optional(),
  rules: z.record(z.string(), ruleSetting).superRefine((rules, ctx) => {
    for (const id of Object.keys(rules)) {
      if (!isRuleKey(id)) ctx.addIssue({ code: "custom", path: [id], message: "unknown rule id (see `hostplane guard rules` for the list)" });
    }
  }).optional().describe("Per-rule severity, or `off`. Keys are rule ids or `category/*`."),
  exclude: z.array(z.string().min(1)).optional().describe("gitignore-style patterns of paths not to check."),
});

export type GuardConfigFile = z.infer<typeof guardConfigSchema>;

export interface GuardConfig {
  failOn: Severity;
  policy: GuardPolicy;
  severities: Map<string, Severity>;
  disabled: Set<string>;
  exclude: string[];
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid guard config ${source}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** JSON Schema of the config file, published as `schema/guard-config.schema.json`. */
export function guardConfigJsonSchema(): unknown {
  const schema = z.toJSONSchema(guardConfigSchema, { io: "input" }) as { properties?: Record<string, Record<string, unknown>> };
  // The rule-id check is code (superRefine); publish it as data so editors can complete and check keys.
  const categories = [...new Set(ALL_RULES.map((r) => `${r.category}/*`))];
  const rules = schema.properties?.rules;
  if (rules) rules.propertyNames = { enum: [...ALL_RULES.map((r) => r.id), ...categories] };
  return { ...schema, title: "hostplane guard configuration" };
}

function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, path: readonly PropertyKey[]): number | null {
  // Walk to the deepest node that exists along the path.
  let node: unknown = doc.contents;
  let found: Node | null = doc.contents ?? null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(key));
      if (!pair) break;
      found = (pair.key as Node | null) ?? found;
      node = pair.value;
      if (isMap(node) || isSeq(node)) found = pair.key as Node;
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
      if (node && typeof node === "object" && "range" in node) found = node as Node;
    } else break;
  }
  const start = found?.range?.[0];
  return start === undefined ? null : counter.linePos(start).line;
}

/** Parse and validate a config file's text. Throws ConfigError naming the file, key path and line. */
export function parseGuardConfig(text: string, source: string, nowSeconds: number): GuardConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const first = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ""}${first}`;
    }));
  }
  const data: unknown = doc.toJS() ?? {};
  const result = guardConfigSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => {
      const line = lineOf(doc, counter, issue.path);
      const where = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
      return `${where}${line !== null ? ` (line ${line})` : ""}: ${issue.message}`;
    }));
  }
  return toGuardConfig(result.data, nowSeconds);
}

/** The configuration in force when no file is given. */
export function defaultGuardConfig(nowSeconds: number): GuardConfig {
  return toGuardConfig({}, nowSeconds);
}

function toGuardConfig(file: GuardConfigFile, nowSeconds: number): GuardConfig {
  const pinning: PinningPolicy = {
    supportedBranches: [...(file.pinning?.supportedBranches ?? DEFAULT_PINNING_POLICY.supportedBranches)],
    maxAgeDays: file.pinning?.maxAgeDays ?? DEFAULT_PINNING_POLICY.maxAgeDays,
    allowedOwners: [...(file.pinning?.allowedOwners ?? DEFAULT_PINNING_POLICY.allowedOwners)],
    nowSeconds,
    ...(file.pinning?.allowedInputOwners ? { allowedInputOwners: file.pinning.allowedInputOwners } : {}),
  };
  const cacheTrust = cacheTrustPolicyFromConfig({
    ...(file.substituters ? { allowedSubstituters: file.substituters } : {}),
    ...(file.trustedKeys ? { trustedKeys: file.trustedKeys } : {}),
  });
  const severities = new Map<string, Severity>(ALL_RULES.map((r) => [r.id, r.severity]));
  const disabled = new Set<string>();
  // Category wildcards first, then exact ids, so `secret/*: warning` + `secret/jwt: error` does what it says.
  const entries = Object.entries(file.rules ?? {}).sort(([a], [b]) => Number(!a.endsWith("/*")) - Number(!b.endsWith("/*")));
  for (const [id, setting] of entries) {
    const ids = id.endsWith("/*") ? ALL_RULES.filter((r) => r.category === id.slice(0, -2)).map((r) => r.id) : [id];
    for (const rid of ids) {
      if (setting === "off") disabled.add(rid);
      else {
        disabled.delete(rid);
        severities.set(rid, setting);
      }
    }
  }
  return { failOn: file.failOn ?? "error", policy: { pinning, cacheTrust }, severities, disabled, exclude: file.exclude ?? [] };
}
