/**
 * Nix's version and trust settings, through the Nix adapter (the one place
 * that runs nix) with the gather's timeout. NIX_CONFIG is passed through
 * untouched, so the settings are the ones this host's nix would use.
 */
import { dirname } from "node:path";
import type { Facts } from "../facts.js";
import { Nix } from "../../nix/index.js";
import { redactUrl } from "../../http/redact-url.js";
import type { GatherContext } from "./_context.js";
import { probe, ProbeError } from "./_probe.js";

/** The settings a host contract checks: who may substitute what, and what nix will keep or sign. */
const TRUST_SETTINGS = [
  "substituters", "trusted-substituters", "trusted-public-keys", "require-sigs", "trusted-users", "allowed-users",
  "accept-flake-config", "secret-key-files", "sandbox", "min-free", "max-free", "keep-outputs", "keep-derivations",
];

/** Store URLs may carry credentials (`https://user:token@cache…`): they never enter the facts. */
const URL_SETTINGS = new Set(["substituters", "trusted-substituters"]);

function withoutCredentials(value: unknown): unknown {
  if (Array.isArray(value)) return (value as unknown[]).map((v) => (typeof v === "string" ? redactUrl(v) : v));
  if (typeof value === "string") return value.split(/\s+/).filter(Boolean).map(redactUrl).join(" ");
  return value;
}

export function gatherNix(ctx: GatherContext): Promise<Facts["nix"]> {
  return probe("nix", async () => {
    const bin = dirname(await ctx.tools.locate("nix"));
    const nix = new Nix({ bin, timeoutMs: ctx.timeoutMs, killDelayMs: 500 });
    try {
      const [version, config] = await Promise.all([nix.version(), nix.showConfig()]);
      const settings: Record<string, { value: unknown }> = {};
      for (const name of TRUST_SETTINGS) {
        const s = config[name];
        if (s !== undefined) settings[name] = { value: URL_SETTINGS.has(name) ? withoutCredentials(s.value) : s.value };
      }
      return { version: version.version, settings };
    } catch (err) {
      throw new ProbeError(`nix in ${bin}: ${(err as Error).message}`, { cause: err });
    }
  });
}
