/**
 * Binary-cache trust policy over Nix settings, shared by every place settings
 * are written: `nix.conf` files, NixOS `nix.settings` / `nix.extraOptions`,
 * and flake `nixConfig`. The Nix-AST side turns bindings into `SettingEntry`
 * values; `parseNixConf` does the same for nix.conf text.
 *
 * Decisions (also in the rule help):
 * - Setting names are normalised: `extra-` prefix, NixOS camelCase
 *   (`trustedPublicKeys`) and Nix's old aliases (`binary-caches`,
 *   `binary-cache-public-keys`, `trusted-binary-caches`) all map to the current names.
 * - Booleans parse as Nix does: true/yes/1 and false/no/0; anything else is `cache-trust/invalid-setting`.
 * - Only `http://` is "insecure" (loopback hosts excepted, as is `s3://…?scheme=http`);
 *   `file://`, `ssh://`, `ssh-ng://`, `s3://`, `daemon`, local paths are acceptable
 *   transports but, like any store, must be on the substituter allowlist.
 * - Store URLs are compared after normalisation: scheme and host lower-cased,
 *   credentials, default port and trailing slashes dropped, and the
 *   `priority`, `want-mass-query` and `trusted` parameters ignored.
 * - A `?trusted=1` store parameter disables signature checks for that store and
 *   is reported as `cache-trust/require-sigs-disabled`.
 *
 * Pure: no I/O. Never throws.
 */
import type { RawFinding } from "../finding.js";
import type { RuleMeta } from "../rule-meta.js";

/** One `name = value` setting, wherever it was written. Offsets are into the scanned file. */
export interface SettingEntry {
  /** The name as written: `substituters`, `extra-substituters`, `trustedPublicKeys`, … */
  key: string;
  /** List items (whitespace inside an item splits it, as Nix does), or a Nix boolean. */
  values: string[] | boolean;
  /** The whole binding or line. */
  start: number;
  end: number;
  /** The value part. */
  valueStart: number;
  valueEnd: number;
  /** Optional offsets of each item of `values` (same length and order) to point at one URL or key. */
  valueSpans?: { start: number; end: number }[];
}

export interface NixConfInclude {
  path: string;
  /** `!include`: a missing file is ignored. */
  optional: boolean;
  start: number;
  end: number;
}

export interface ParsedNixConf {
  entries: SettingEntry[];
  /** `include` / `!include` lines, recorded and not followed. */
  includes: NixConfInclude[];
  /** Lines Nix rejects (`cache-trust/invalid-setting`). */
  findings: RawFinding[];
}

/** Where the settings were written; changes message wording and the nixConfig-only rule. */
export type SettingsContext = "nix.conf" | "nix.settings" | "nix.extraOptions" | "nixConfig";

/** A substituter the fleet may use, with the public keys its paths are signed with. */
export interface TrustedSubstituter {
  url: string;
  /** Signing keys (`name:base64`). Empty: no key requirement is checked for this store. */
  keys: string[];
}

export interface CacheTrustPolicy {
  substituters: TrustedSubstituter[];
  /** Keys trusted without a substituter of their own (e.g. remote builders' signing keys used with `nix copy`). */
  extraTrustedKeys: string[];
}

export const CACHE_NIXOS_ORG_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

export const DEFAULT_CACHE_TRUST_POLICY: Readonly<CacheTrustPolicy> = Object.freeze({
  substituters: [{ url: "https://cache.nixos.org", keys: [CACHE_NIXOS_ORG_KEY] }],
  extraTrustedKeys: [],
});

/**
 * Builds a policy from the flat configuration form: allowed substituter URLs
 * (or `{ url, keys }` pairs) and trusted keys. Each list the user gives replaces
 * the default. A plain URL is paired with the trusted keys named after its host
 * (`cache.example.com-1:…` for `https://cache.example.com`); keys that pair with
 * no substituter stay trusted on their own.
 */
export function cacheTrustPolicyFromConfig(config: {
  allowedSubstituters?: (string | TrustedSubstituter)[];
  trustedKeys?: string[];
}): CacheTrustPolicy {
  const keys = config.trustedKeys ?? [CACHE_NIXOS_ORG_KEY];
  const used = new Set<string>();
  const substituters = (config.allowedSubstituters ?? ["https://cache.nixos.org"]).map((entry) => {
    if (typeof entry !== "string") {
      for (const key of entry.keys) used.add(key);
      return { url: entry.url, keys: [...entry.keys] };
    }
    const host = storeUrlHost(entry);
    const paired = keys.filter((key) => host !== undefined && keyHostName(key) === host);
    for (const key of paired) used.add(key);
    return { url: entry, keys: paired };
  });
  return { substituters, extraTrustedKeys: keys.filter((key) => !used.has(key)) };
}

const NIX_SNIPPET = (body: string): string => `{\n  nix.settings = {\n${body}\n  };\n}`;

export const CACHE_TRUST_RULES: RuleMeta[] = [
  {
    id: "cache-trust/require-sigs-disabled",
    category: "cache-trust",
    severity: "error",
    title: "Signature checking of substituted paths is disabled",
    help:
      "With `require-sigs = false`, or a substituter URL carrying `?trusted=1`, Nix installs store paths from a " +
      "binary cache without checking that a trusted key signed them, so whoever controls the cache or the network " +
      "path to it controls what runs on the host. Keep signature checking on and add the cache's public key to " +
      "`trusted-public-keys` instead.",
    bad: NIX_SNIPPET("    require-sigs = false;"),
    good: NIX_SNIPPET(
      '    substituters = [ "https://cache.example.com" ];\n    trusted-public-keys = [ "cache.example.com-1:8XzpSsRhRSON1K6IAZCY+kzk97CqwemkYHrEd9IWovI=" ];',
    ),
  },
  {
    id: "cache-trust/substituter-not-allowed",
    category: "cache-trust",
    severity: "error",
    title: "Substituter is not on the allowlist",
    help:
      "Every binary cache listed in `substituters`, `extra-substituters` or `trusted-substituters` must be on the " +
      "fleet's allowlist (default: https://cache.nixos.org). URLs are compared ignoring trailing slashes, " +
      "credentials and the `priority`/`want-mass-query` parameters. Remove the cache, or add it with its key to " +
      "the guard configuration after review.",
    bad: NIX_SNIPPET('    extra-substituters = [ "https://random.cachix.org" ];'),
    good: NIX_SNIPPET('    substituters = [ "https://cache.nixos.org" ];'),
  },
  {
    id: "cache-trust/insecure-substituter",
    category: "cache-trust",
    severity: "error",
    title: "Substituter reached over plain HTTP",
    help:
      "An `http://` cache (or `s3://…?scheme=http`) can be observed and tampered with on the network; with " +
      "signatures required it can still withhold or replay paths. Use `https://`. Loopback addresses are exempt; " +
      "`file://`, `ssh://`, `ssh-ng://` and `s3://` stores are judged only by the allowlist.",
    bad: NIX_SNIPPET('    substituters = [ "http://cache.example.com" ];'),
    good: NIX_SNIPPET('    substituters = [ "https://cache.example.com" ];'),
  },
  {
    id: "cache-trust/substituter-without-key",
    category: "cache-trust",
    severity: "warning",
    title: "Substituter is used without its public key",
    help:
      "An allowed substituter is configured, but none of the public keys the policy lists for it is in " +
      "`trusted-public-keys` / `extra-trusted-public-keys`, so its paths will be rejected (or someone will be " +
      "tempted to turn signature checks off). Add the cache's key next to the substituter. When " +
      "`trusted-public-keys` is not set, Nix's default (the cache.nixos.org key) is assumed.",
    bad: NIX_SNIPPET('    substituters = [ "https://cache.example.com" ];'),
    good: NIX_SNIPPET(
      '    substituters = [ "https://cache.example.com" ];\n    trusted-public-keys = [ "cache.example.com-1:8XzpSsRhRSON1K6IAZCY+kzk97CqwemkYHrEd9IWovI=" ];',
    ),
  },
  {
    id: "cache-trust/untrusted-public-key",
    category: "cache-trust",
    severity: "error",
    title: "Public key trusted that belongs to no allowed substituter",
    help:
      "A key in `trusted-public-keys` lets any substituter serve paths signed with it, so trusting a key is the " +
      "real trust decision. Only keys of allowed substituters (or explicitly trusted builder keys) may be listed. " +
      "Remove the key, or add it to the guard configuration after review.",
    bad: NIX_SNIPPET('    trusted-public-keys = [ "random.cachix.org-1:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg=" ];'),
    good: NIX_SNIPPET('    trusted-public-keys = [ "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];'),
  },
  {
    id: "cache-trust/trusted-users-broad",
    category: "cache-trust",
    severity: "warning",
    title: "trusted-users grants more than root",
    help:
      "A trusted user can pass any substituter and key to the daemon, disable signature checks and import " +
      "unsigned paths: effectively root. Keep `trusted-users = [ \"root\" ]`; give remote builds a dedicated " +
      "builder user restricted by SSH, and use `allowed-users` (not this setting) to let people use Nix.",
    bad: NIX_SNIPPET('    trusted-users = [ "root" "@wheel" ];'),
    good: NIX_SNIPPET('    trusted-users = [ "root" ];\n    allowed-users = [ "@wheel" ];'),
  },
  {
    id: "cache-trust/accept-flake-config",
    category: "cache-trust",
    severity: "error",
    title: "Flakes may change Nix settings without confirmation",
    help:
      "`accept-flake-config = true` applies any flake's `nixConfig` (extra substituters and keys included) without " +
      "asking, so evaluating an untrusted flake can add a malicious cache. Leave it false and configure caches " +
      "centrally.",
    bad: NIX_SNIPPET("    accept-flake-config = true;"),
    good: NIX_SNIPPET("    accept-flake-config = false;"),
  },
  {
    id: "cache-trust/flake-extra-substituters",
    category: "cache-trust",
    severity: "warning",
    title: "Flake nixConfig adds substituters or keys",
    help:
      "Substituters and keys in a flake's `nixConfig` are silently accepted by users with `accept-flake-config` " +
      "or trusted-user rights, which bypasses the fleet's cache policy. Configure caches in the hosts' " +
      "`nix.settings` instead.",
    bad: '{\n  nixConfig = {\n    extra-substituters = [ "https://random.cachix.org" ];\n    extra-trusted-public-keys = [ "random.cachix.org-1:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg=" ];\n  };\n  outputs = { self, ... }: { };\n}',
    good: "{\n  outputs = { self, ... }: { };\n}",
  },
  {
    id: "cache-trust/secret-key-files-in-store",
    category: "cache-trust",
    severity: "error",
    title: "Binary-cache signing key stored in the Nix store",
    help:
      "`secret-key-files` pointing into /nix/store means the private signing key was copied into the " +
      "world-readable store, so anyone on the host (and every cache the path reaches) can sign paths as you. " +
      "Keep the key outside the store, e.g. deployed by a secrets manager to /run/secrets, and reference it by string path.",
    bad: NIX_SNIPPET('    secret-key-files = [ "/nix/store/1bv4yx9ifx2cmdh4bllkfmsw7csjadqf-cache-key.sec" ];'),
    good: NIX_SNIPPET('    secret-key-files = [ "/run/secrets/cache-key" ];'),
  },
  {
    id: "cache-trust/invalid-setting",
    category: "cache-trust",
    severity: "error",
    title: "Nix setting Nix will reject",
    help:
      "A nix.conf line that is not `name = value` (spaces around `=` are required), a boolean setting whose value is " +
      "not true/yes/1 or false/no/0, or a malformed public key. Nix refuses such configuration, so the intended " +
      "policy is not in force.",
    bad: "require-sigs=true\naccept-flake-config = maybe",
    good: "require-sigs = true\naccept-flake-config = false",
  },
];

// ---------------------------------------------------------------------------
// nix.conf parsing
// ---------------------------------------------------------------------------

interface Token {
  text: string;
  start: number;
  end: number;
}

/** Splits on Nix's whitespace set (space, tab, CR, LF). Linear. */
function tokenize(text: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to) {
    while (i < to && isSpace(text.charCodeAt(i))) i++;
    if (i >= to) break;
    const start = i;
    while (i < to && !isSpace(text.charCodeAt(i))) i++;
    tokens.push({ text: text.slice(start, i), start, end: i });
  }
  return tokens;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * Parses nix.conf syntax exactly as Nix's `applyConfig` does: lines split on
 * LF, everything from the first `#` is a comment, tokens split on whitespace,
 * `name = value…` with `=` as its own token, `include`/`!include <path>`.
 * Continuation lines do not exist in nix.conf.
 */
export function parseNixConf(text: string, options: { baseOffset?: number } = {}): ParsedNixConf {
  const base = options.baseOffset ?? 0;
  const entries: SettingEntry[] = [];
  const includes: NixConfInclude[] = [];
  const findings: RawFinding[] = [];
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const hash = text.indexOf("#", lineStart);
    const contentEnd = hash >= 0 && hash < lineEnd ? hash : lineEnd;
    const tokens = tokenize(text, lineStart, contentEnd);
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    if (first !== undefined && last !== undefined) {
      const span = { start: base + first.start, end: base + last.end };
      const line = text.slice(first.start, last.end);
      const second = tokens[1];
      if (first.text === "include" || first.text === "!include") {
        if (tokens.length === 2 && second !== undefined) {
          includes.push({ path: second.text, optional: first.text === "!include", ...span });
        } else {
          findings.push(invalidLine(line, span, `"${first.text}" takes exactly one path`));
        }
      } else if (second === undefined || second.text !== "=") {
        findings.push(invalidLine(line, span, 'expected "name = value" with spaces around "="'));
      } else {
        const valueTokens = tokens.slice(2);
        const valueStart = base + (valueTokens[0]?.start ?? second.end);
        entries.push({
          key: first.text,
          values: valueTokens.map((t) => t.text),
          start: span.start,
          end: span.end,
          valueStart,
          valueEnd: valueTokens.length > 0 ? span.end : valueStart,
          valueSpans: valueTokens.map((t) => ({ start: base + t.start, end: base + t.end })),
        });
      }
    }
    if (lineEnd >= text.length) break;
    lineStart = lineEnd + 1;
  }
  return { entries, includes, findings };
}

function invalidLine(line: string, span: { start: number; end: number }, why: string): RawFinding {
  return {
    ruleId: "cache-trust/invalid-setting",
    message: `nix.conf line ${JSON.stringify(truncate(line, 80))} is not valid configuration (${why}); Nix refuses to load this file`,
    ...span,
  };
}

// ---------------------------------------------------------------------------
// Setting names
// ---------------------------------------------------------------------------

const ALIASES: ReadonlyMap<string, string> = new Map([
  ["binary-caches", "substituters"],
  ["binary-cache-public-keys", "trusted-public-keys"],
  ["trusted-binary-caches", "trusted-substituters"],
  ["require-signed-binary-caches", "require-sigs"],
]);

export interface NormalizedSettingName {
  /** Canonical dashed name without `extra-` (`trusted-public-keys`). */
  name: string;
  /** Written with the `extra-` prefix (appends instead of replacing). */
  extra: boolean;
}

/** `extraTrustedPublicKeys`, `extra-binary-cache-public-keys`, … → `{ name: "trusted-public-keys", extra: true }`. */
export function normalizeSettingName(key: string): NormalizedSettingName {
  let dashed = "";
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) dashed += (i > 0 ? "-" : "") + String.fromCharCode(c + 0x20);
    else dashed += key[i] ?? "";
  }
  const extra = dashed.startsWith("extra-");
  const bare = extra ? dashed.slice("extra-".length) : dashed;
  return { name: ALIASES.get(bare) ?? bare, extra };
}

// ---------------------------------------------------------------------------
// Store URLs and keys
// ---------------------------------------------------------------------------

const IGNORED_STORE_PARAMS = new Set(["priority", "want-mass-query", "trusted"]);

interface StoreUrl {
  scheme: string;
  /** Lower-cased host without credentials and port; empty for non-URL stores. */
  host: string;
  normalized: string;
  params: Map<string, string>;
  hasCredentials: boolean;
}

function parseStoreUrl(raw: string): StoreUrl {
  const hashAt = raw.indexOf("#");
  const noFragment = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
  const queryAt = noFragment.indexOf("?");
  const beforeQuery = queryAt >= 0 ? noFragment.slice(0, queryAt) : noFragment;
  const query = queryAt >= 0 ? noFragment.slice(queryAt + 1) : "";
  const params = new Map<string, string>();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    params.set(eq >= 0 ? part.slice(0, eq) : part, eq >= 0 ? part.slice(eq + 1) : "");
  }
  const kept = [...params]
    .filter(([k]) => !IGNORED_STORE_PARAMS.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const queryPart = kept.length > 0 ? `?${kept.join("&")}` : "";

  const schemeEnd = beforeQuery.indexOf("://");
  if (schemeEnd < 0) {
    return { scheme: "", host: "", normalized: trimTrailingSlashes(beforeQuery) + queryPart, params, hasCredentials: false };
  }
  const scheme = beforeQuery.slice(0, schemeEnd).toLowerCase();
  const rest = beforeQuery.slice(schemeEnd + 3);
  const slash = rest.indexOf("/");
  let authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : "";
  const at = authority.lastIndexOf("@");
  const hasCredentials = at >= 0;
  if (hasCredentials) authority = authority.slice(at + 1);
  authority = authority.toLowerCase();
  if ((scheme === "https" && authority.endsWith(":443")) || (scheme === "http" && authority.endsWith(":80"))) {
    authority = authority.slice(0, authority.lastIndexOf(":"));
  }
  const host = authority.startsWith("[") ? authority.slice(0, authority.indexOf("]") + 1) : (authority.split(":")[0] ?? "");
  return {
    scheme,
    host,
    normalized: `${scheme}://${authority}${trimTrailingSlashes(path)}${queryPart}`,
    params,
    hasCredentials,
  };
}

function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(0, end);
}

/** Normalised form used to compare substituter URLs. */
export function normalizeStoreUrl(url: string): string {
  return parseStoreUrl(url.trim()).normalized;
}

function storeUrlHost(url: string): string | undefined {
  const host = parseStoreUrl(url.trim()).host;
  return host === "" ? undefined : host;
}

/** `cache.example.com-1:AAAA…` → `cache.example.com` (key names conventionally are `<host>-<n>`). */
function keyHostName(key: string): string | undefined {
  const colon = key.indexOf(":");
  if (colon <= 0) return undefined;
  const name = key.slice(0, colon).toLowerCase();
  const dash = name.lastIndexOf("-");
  if (dash > 0 && isAllDigits(name.slice(dash + 1))) return name.slice(0, dash);
  return name;
}

function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || host.startsWith("127.") || host === "[::1]";
}

/** The URL as safe to print: credentials replaced by `***`. */
function displayUrl(raw: string): string {
  const schemeEnd = raw.indexOf("://");
  if (schemeEnd < 0) return raw;
  const rest = raw.slice(schemeEnd + 3);
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const at = authority.lastIndexOf("@");
  if (at < 0) return raw;
  return `${raw.slice(0, schemeEnd + 3)}***@${rest.slice(at + 1)}`;
}

/** Nix's boolean parser: true/yes/1, false/no/0. */
function parseNixBool(values: string[] | boolean): boolean | undefined {
  if (typeof values === "boolean") return values;
  const joined = values.join(" ").trim();
  if (joined === "true" || joined === "yes" || joined === "1") return true;
  if (joined === "false" || joined === "no" || joined === "0") return false;
  return undefined;
}

/** `name:base64` where the base64 is an Ed25519 public key (32 bytes), as Nix requires. */
function isValidPublicKey(key: string): boolean {
  const colon = key.indexOf(":");
  if (colon <= 0 || key.indexOf(":", colon + 1) >= 0) return false;
  return /^[A-Za-z0-9+/]{43}=$/.test(key.slice(colon + 1));
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

interface Item {
  value: string;
  start: number;
  end: number;
}

/** List items with their best-known offsets; items containing whitespace are split, as Nix does. */
function listItems(entry: SettingEntry): Item[] {
  if (typeof entry.values === "boolean") return [];
  const spans = entry.valueSpans !== undefined && entry.valueSpans.length === entry.values.length ? entry.valueSpans : undefined;
  const items: Item[] = [];
  entry.values.forEach((value, index) => {
    const span = spans?.[index] ?? { start: entry.valueStart, end: entry.valueEnd };
    for (const part of tokenize(value, 0, value.length)) items.push({ value: part.text, start: span.start, end: span.end });
  });
  return items;
}

const BOOL_SETTINGS = new Set(["require-sigs", "accept-flake-config"]);
const SUBSTITUTER_SETTINGS = new Set(["substituters", "trusted-substituters"]);
const FLAKE_CACHE_SETTINGS = new Set(["substituters", "trusted-substituters", "trusted-public-keys"]);

/** Checks settings (all from one file / attrset) against the cache-trust policy. */
export function checkNixSettings(
  entries: SettingEntry[],
  options: { policy: CacheTrustPolicy; context: SettingsContext },
): RawFinding[] {
  const { policy, context } = options;
  const findings: RawFinding[] = [];
  const allowed = new Map<string, TrustedSubstituter>();
  for (const substituter of policy.substituters) allowed.set(normalizeStoreUrl(substituter.url), substituter);
  const trustedKeys = new Set<string>([...policy.extraTrustedKeys, ...policy.substituters.flatMap((s) => s.keys)]);

  // Keys in effect: everything listed, plus Nix's default key unless trusted-public-keys is set outright.
  const configuredKeys = new Set<string>();
  let replacesDefaultKeys = false;
  for (const entry of entries) {
    const { name, extra } = normalizeSettingName(entry.key);
    if (name !== "trusted-public-keys") continue;
    if (!extra) replacesDefaultKeys = true;
    for (const item of listItems(entry)) configuredKeys.add(item.value);
  }
  if (!replacesDefaultKeys && context !== "nixConfig") configuredKeys.add(CACHE_NIXOS_ORG_KEY);

  const push = (ruleId: string, span: { start: number; end: number }, entry: SettingEntry, message: string): void => {
    const attrPath = attrPathFor(entry, context);
    findings.push({ ruleId, message, start: span.start, end: span.end, ...(attrPath === undefined ? {} : { attrPath }) });
  };
  const valueSpan = (entry: SettingEntry): { start: number; end: number } => ({ start: entry.valueStart, end: entry.valueEnd });

  for (const entry of entries) {
    const { name } = normalizeSettingName(entry.key);
    const setting = settingLabel(entry.key, context);

    if (BOOL_SETTINGS.has(name)) {
      const value = parseNixBool(entry.values);
      if (value === undefined) {
        push("cache-trust/invalid-setting", valueSpan(entry), entry,
          `${setting} is a boolean setting but has value ${JSON.stringify(displayValues(entry.values))}; Nix accepts only true/yes/1 or false/no/0`);
      } else if (name === "require-sigs" && !value) {
        push("cache-trust/require-sigs-disabled", valueSpan(entry), entry,
          `${setting} = ${displayValues(entry.values)} turns signature checking off and lets substituted store paths in without a trusted signature; remove it (the default is true) ` +
            "and add the cache's key to trusted-public-keys instead");
      } else if (name === "accept-flake-config" && value) {
        push("cache-trust/accept-flake-config", valueSpan(entry), entry,
          `${setting} = ${displayValues(entry.values)} applies every flake's nixConfig (substituters and keys included) without asking; ` +
            "set it to false and configure caches in nix.settings");
      }
      continue;
    }

    if (context === "nixConfig" && FLAKE_CACHE_SETTINGS.has(name)) {
      push("cache-trust/flake-extra-substituters", { start: entry.start, end: entry.end }, entry,
        `${setting} in a flake's nixConfig (${JSON.stringify(displayValues(entry.values))}) is silently accepted by users ` +
          "with accept-flake-config or trusted-user rights; move caches and keys to the hosts' nix.settings");
    }

    if (typeof entry.values === "boolean" && (SUBSTITUTER_SETTINGS.has(name) || name === "trusted-public-keys" || name === "trusted-users" || name === "secret-key-files")) {
      push("cache-trust/invalid-setting", valueSpan(entry), entry, `${setting} expects a list, not the boolean ${String(entry.values)}`);
      continue;
    }

    if (SUBSTITUTER_SETTINGS.has(name)) {
      for (const item of listItems(entry)) {
        const url = parseStoreUrl(item.value);
        const shown = JSON.stringify(displayUrl(item.value));
        const httpsForm = JSON.stringify(displayUrl(item.value).replace(/^http:/i, "https:"));
        let insecureButAllowedOverHttps = false;
        if (url.scheme === "http" && !isLoopback(url.host)) {
          insecureButAllowedOverHttps = allowed.has(normalizeStoreUrl(`https${item.value.slice(4)}`));
          push("cache-trust/insecure-substituter", item, entry,
            `${setting} lists ${shown} over plain HTTP; use ${httpsForm}`);
        } else if (url.scheme === "s3" && url.params.get("scheme")?.toLowerCase() === "http") {
          push("cache-trust/insecure-substituter", item, entry,
            `${setting} lists ${shown}, an S3 store reached over plain HTTP (scheme=http); drop scheme=http so it uses HTTPS`);
        }
        const trustedParam = url.params.get("trusted");
        if (trustedParam !== undefined && parseNixBool([trustedParam]) === true) {
          push("cache-trust/require-sigs-disabled", item, entry,
            `${setting} lists ${shown} with trusted=${trustedParam}, which accepts its paths without a trusted signature; ` +
              "remove the trusted parameter and add the cache's key to trusted-public-keys");
        }
        const policyEntry = allowed.get(url.normalized);
        if (policyEntry === undefined && !insecureButAllowedOverHttps) {
          push("cache-trust/substituter-not-allowed", item, entry,
            `${setting} lists ${shown}, which is not an allowed substituter (allowed: ${[...policy.substituters.map((s) => s.url)].join(", ") || "none"}); ` +
              "remove it, or add it with its public key to the guard configuration after review");
        } else if (policyEntry !== undefined && name === "substituters" && context !== "nixConfig" && policyEntry.keys.length > 0 &&
          !policyEntry.keys.some((key) => configuredKeys.has(key))) {
          push("cache-trust/substituter-without-key", item, entry,
            `${setting} lists ${shown} but none of its public keys is in trusted-public-keys; ` +
              `add ${JSON.stringify(policyEntry.keys[0] ?? "")} to trusted-public-keys`);
        }
      }
      continue;
    }

    if (name === "trusted-public-keys") {
      for (const item of listItems(entry)) {
        if (!isValidPublicKey(item.value)) {
          push("cache-trust/invalid-setting", item, entry,
            `${setting} contains ${JSON.stringify(truncate(item.value, 80))}, which is not a public key of the form name:base64 (32 bytes, 44 base64 characters); Nix refuses it`);
        } else if (!trustedKeys.has(item.value)) {
          push("cache-trust/untrusted-public-key", item, entry,
            `${setting} trusts ${JSON.stringify(item.value)}, which belongs to no allowed substituter, so any cache may ` +
              "serve paths signed with it; remove it, or add it to the guard configuration after review");
        }
      }
      continue;
    }

    if (name === "trusted-users") {
      for (const item of listItems(entry)) {
        if (item.value === "root") continue;
        const who = item.value === "*" ? "every user" : item.value.startsWith("@") ? `every member of group ${item.value.slice(1)}` : `user ${item.value}`;
        push("cache-trust/trusted-users-broad", item, entry,
          `${setting} includes ${JSON.stringify(item.value)}, giving ${who} root-equivalent control over the Nix store ` +
            `(any substituter, unsigned paths); remove ${JSON.stringify(item.value)} from trusted-users, give builders a dedicated ` +
            "remote-builder user, and use allowed-users for ordinary access");
      }
      continue;
    }

    if (name === "secret-key-files") {
      for (const item of listItems(entry)) {
        if (!item.value.includes("/nix/store/")) continue;
        push("cache-trust/secret-key-files-in-store", item, entry,
          `${setting} points into the world-readable Nix store (${JSON.stringify(truncate(item.value, 120))}), so the private ` +
            'signing key is exposed; deploy it outside the store (e.g. "/run/secrets/cache-key" via a secrets manager) and rotate it');
      }
    }
  }
  return findings;
}

function settingLabel(key: string, context: SettingsContext): string {
  switch (context) {
    case "nix.conf":
      return `nix.conf setting ${key}`;
    case "nix.settings":
      return `nix.settings.${key}`;
    case "nix.extraOptions":
      return `${key} in nix.extraOptions`;
    case "nixConfig":
      return `nixConfig.${key}`;
  }
}

function attrPathFor(entry: SettingEntry, context: SettingsContext): string | undefined {
  switch (context) {
    case "nix.conf":
      return undefined;
    case "nix.settings":
      return `nix.settings.${entry.key}`;
    case "nix.extraOptions":
      return "nix.extraOptions";
    case "nixConfig":
      return `nixConfig.${entry.key}`;
  }
}

function displayValues(values: string[] | boolean): string {
  if (typeof values === "boolean") return String(values);
  return truncate(values.map(displayUrl).join(" "), 160);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
