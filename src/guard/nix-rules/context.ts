/** What every Nix-source rule gets: the file text, a sink for findings, and the policy. */
import type { RawFinding } from "../finding.js";
import type { CacheTrustPolicy } from "../cache-trust/nix-settings.js";
import type { PinningPolicy } from "../pinning/flake-lock.js";
import type { ExprOf } from "../nix/ast.js";
import { staticStringValue } from "../nix/strings.js";

export interface GuardPolicy {
  pinning: PinningPolicy;
  cacheTrust: CacheTrustPolicy;
}

export interface RuleContext {
  src: string;
  /** Path of the file relative to the scan root, forward slashes. */
  file: string;
  policy: GuardPolicy;
  report(finding: RawFinding): void;
}

/** The decoded value of an interpolation-free string, else null. */
export function literalValue(ctx: RuleContext, node: ExprOf<"String">): string | null {
  return staticStringValue(ctx.src, node);
}

/** `a.b.c` for messages; `*` marks dynamic names and list items. */
export function formatPath(path: readonly string[]): string {
  return path.map((s) => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(s) || s === "*" ? s : JSON.stringify(s))).join(".");
}

/** Match an option path against a pattern such as `users.users.*.password` (`*` = one segment). */
export function pathMatches(path: readonly string[], pattern: readonly string[]): boolean {
  if (path.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p !== "*" && p !== path[i]) return false;
  }
  return true;
}
