/**
 * cache-trust/* over Nix sources: turns `nix.settings`, the old `nix.*`
 * options, `nix.extraOptions` text and flake `nixConfig` into setting entries
 * and applies the shared binary-cache trust policy to them.
 */
import type { Expr } from "../nix/ast.js";
import { effectiveValues } from "../analyze/calls.js";
import type { DefEvent, WalkHandlers } from "../analyze/walk.js";
import { checkNixSettings, parseNixConf, type SettingEntry, type SettingsContext } from "../cache-trust/nix-settings.js";
import { literalValue, type RuleContext } from "./context.js";

/** Pre-`nix.settings` NixOS options and the settings they set. */
const LEGACY_OPTIONS: ReadonlyMap<string, string> = new Map([
  ["binaryCaches", "substituters"], ["binaryCachePublicKeys", "trusted-public-keys"],
  ["trustedBinaryCaches", "trusted-substituters"], ["trustedUsers", "trusted-users"], ["allowedUsers", "allowed-users"],
  ["requireSignedBinaryCaches", "require-sigs"],
]);

function splitWords(value: string, base: number): { value: string; start: number; end: number }[] {
  const out: { value: string; start: number; end: number }[] = [];
  const re = /\S+/g;
  for (let m = re.exec(value); m; m = re.exec(value)) out.push({ value: m[0], start: base + m.index, end: base + m.index + m[0].length });
  return out;
}

/** A Nix value as a setting: strings and lists of strings, or a boolean; null when not literal. */
function toEntry(ctx: RuleContext, key: string, ev: DefEvent, v: Expr): SettingEntry | null {
  const base = { key, start: ev.binding.start, end: ev.binding.end, valueStart: v.start, valueEnd: v.end };
  if (v.type === "Var" && (v.name === "true" || v.name === "false")) return { ...base, values: v.name === "true" };
  const items: { value: string; start: number; end: number }[] = [];
  const add = (e: Expr): boolean => {
    if (e.type === "Path" && e.kind === "path") {
      // A path literal is copied into the store when the setting is evaluated: that is its value.
      const text = ctx.src.slice(e.start, e.end);
      items.push({ value: `/nix/store/…-${text.slice(text.lastIndexOf("/") + 1)}`, start: e.start, end: e.end });
      return true;
    }
    if (e.type !== "String") return false;
    const s = literalValue(ctx, e);
    if (s === null) {
      // "${./key}" is the store path of the copied file.
      const path = e.parts.find((p) => p.kind === "interp" && p.expr.type === "Path" && p.expr.kind === "path");
      if (path?.kind === "interp") add(path.expr);
      return true;
    }
    // Offsets of words are exact for plain literals; escapes only shift them within the string.
    const raw = e.parts.length === 1 ? e.parts[0]! : null;
    for (const w of splitWords(s, raw ? raw.start : e.start)) items.push(raw ? w : { ...w, start: e.start, end: e.end });
    return true;
  };
  if (v.type === "List") {
    for (const item of v.items) add(item);
  } else if (v.type === "String") {
    add(v);
  } else {
    return null;
  }
  return { ...base, values: items.map((i) => i.value), valueSpans: items.map(({ start, end }) => ({ start, end })) };
}

export function cacheTrustHandlers(ctx: RuleContext, isFlake: boolean): WalkHandlers {
  const byContext = new Map<SettingsContext, SettingEntry[]>();
  const add = (context: SettingsContext, entry: SettingEntry): void => {
    const list = byContext.get(context) ?? [];
    list.push(entry);
    byContext.set(context, list);
  };

  const onDef = (ev: DefEvent): void => {
    if (ev.scope !== "attrs") return;
    const p = ev.path;
    let context: SettingsContext | null = null;
    let key: string | undefined;
    if (p.length === 3 && p[0] === "nix" && p[1] === "settings") { context = "nix.settings"; key = p[2]; }
    else if (p.length === 2 && p[0] === "nix" && LEGACY_OPTIONS.has(p[1]!)) { context = "nix.settings"; key = LEGACY_OPTIONS.get(p[1]!); }
    else if (isFlake && p.length === 2 && p[0] === "nixConfig") { context = "nixConfig"; key = p[1]; }
    else if (p.length === 2 && p[0] === "nix" && p[1] === "extraOptions") {
      for (const v of effectiveValues(ev.binding.value)) {
        if (v.type !== "String") continue;
        v.parts.forEach((part, i) => {
          if (part.kind === "literal") {
            const parsed = parseNixConf(ctx.src.slice(part.start, part.end), { baseOffset: part.start });
            for (const e of parsed.entries) add("nix.extraOptions", e);
            return;
          }
          // `secret-key-files = ${./key}`: the interpolated path is a store path.
          const before = v.parts[i - 1];
          const lineBefore = before?.kind === "literal" ? ctx.src.slice(before.start, before.end).split("\n").pop() ?? "" : "";
          if (part.expr.type === "Path" && /^\s*(?:extra-)?secret-key-files\s*=\s*$/.test(lineBefore)) {
            ctx.report({
              ruleId: "cache-trust/secret-key-files-in-store", start: part.start, end: part.end, attrPath: "nix.extraOptions",
              message: "secret-key-files in nix.extraOptions interpolates a path literal, which copies the private signing key into the world-readable Nix store; point it at a file outside the store (e.g. /run/secrets/cache-key) and rotate the key",
            });
          }
        });
      }
      return;
    }
    if (context === null || key === undefined || key === "*") return;
    for (const v of effectiveValues(ev.binding.value)) {
      const entry = toEntry(ctx, key, ev, v);
      if (entry) add(context, entry);
    }
  };

  const finish = (): void => {
    for (const [context, entries] of byContext) {
      for (const f of checkNixSettings(entries, { policy: ctx.policy.cacheTrust, context })) ctx.report(f);
    }
  };

  return { def: onDef, finish };
}
