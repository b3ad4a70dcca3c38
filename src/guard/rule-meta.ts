/** Metadata every guard rule publishes: drives severity, SARIF rule entries and the docs. */
import type { Severity } from "./finding.js";

export type RuleCategory = "secret" | "store-leak" | "pinning" | "cache-trust" | "guard";

export interface RuleMeta {
  /** `<category>/<name>` */
  id: string;
  category: RuleCategory;
  /** Default severity; the config file may override it. */
  severity: Severity;
  /** One line, used as SARIF shortDescription. */
  title: string;
  /** Why it matters and what to do instead (SARIF fullDescription / help). */
  help: string;
  /** A minimal Nix (or flake.lock / nix.conf) snippet this rule flags. */
  bad: string;
  /** The safe way to write the same thing. */
  good: string;
}
