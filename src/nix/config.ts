/**
 * Settings as Nix shows them (`nix show-config --json` on ≤ 2.19,
 * `nix config show --json` after), the version string, and the offline
 * settings tests and benchmarks run with. Pure.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface NixSetting {
  value: JsonValue;
  defaultValue: JsonValue;
  aliases?: string[];
}

export type NixConfig = Record<string, NixSetting>;

export interface NixVersion {
  /** The whole first line, e.g. `nix (Nix) 2.8.0`. */
  raw: string;
  version: string;
  major: number;
  minor: number;
  patch: number;
}

/**
 * Nix 2.8 prints `experimental-features` as enum ordinals (`[3]` for nix-command).
 * The order is Nix 2.8's `ExperimentalFeature` enum, checked against its output one feature at a time.
 */
const EXPERIMENTAL_FEATURES_2_8 = ["ca-derivations", "impure-derivations", "flakes", "nix-command", "recursive-nix", "no-url-literals"];

/** Settings for tests and benchmarks: no substituters (no DNS waits), build as root, the nix command on. */
export function offlineNixConfig(): string {
  return "substituters =\nbuild-users-group =\nexperimental-features = nix-command";
}

export class ConfigFormatError extends Error {
  override readonly name = "ConfigFormatError";
}

function fixFeatures(v: JsonValue): JsonValue {
  if (!Array.isArray(v)) return v;
  return v.map((f) => (typeof f === "number" ? EXPERIMENTAL_FEATURES_2_8[f] ?? `unknown-feature-${f}` : f));
}

export function parseConfigJson(text: string): NixConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new ConfigFormatError(`nix printed invalid JSON for its config: ${text.slice(0, 200)}`, { cause });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ConfigFormatError("nix config JSON is not an object");
  const out: NixConfig = {};
  for (const [name, raw] of Object.entries(data as Record<string, unknown>)) {
    if (typeof raw !== "object" || raw === null || !("value" in raw)) continue;
    const s = raw as { value: JsonValue; defaultValue?: JsonValue; aliases?: unknown };
    const fix = name === "experimental-features" ? fixFeatures : (v: JsonValue) => v;
    const setting: NixSetting = { value: fix(s.value), defaultValue: fix(s.defaultValue ?? null) };
    if (Array.isArray(s.aliases) && s.aliases.every((a) => typeof a === "string")) setting.aliases = s.aliases;
    out[name] = setting;
  }
  return out;
}

export function parseVersion(stdout: string): NixVersion {
  const raw = stdout.split("\n")[0]?.trim() ?? "";
  const token = raw.split(" ").find((t) => /^\d+\.\d+/.test(t)) ?? "";
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(token);
  if (!m) throw new ConfigFormatError(`cannot read a version from 'nix --version': ${JSON.stringify(raw)}`);
  return { raw, version: m[0], major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}
