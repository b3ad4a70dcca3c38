/**
 * Shape of the labelled guard corpus: realistic files from NixOS fleet
 * repositories, each with the findings a correct linter must report.
 */

/** One finding the linter must (or, when `optional`, may) report. */
export interface Expectation {
  /** Full rule id, e.g. `secret/github-token`. Exactly one of `ruleId` / `category` is set. */
  ruleId?: string;
  /** Bare category (`secret`, `store-leak`, `pinning`, `cache-trust`, `guard`) when any rule of it is right. */
  category?: string;
  /** 1-based line the finding must touch. */
  line: number;
  /** Last acceptable line when the problem spans several (a flake.lock node, a multi-line list). */
  endLine?: number;
  /**
   * A second rule that also legitimately describes the problem: reporting it is
   * fine (not a false positive), not reporting it is fine too (not a false negative).
   */
  optional?: boolean;
}

export interface LabelledCase {
  name: string;
  /** Path relative to the scan root: picks the checks (`*.nix`, `flake.lock`, `nix.conf`). */
  file: string;
  text: string;
  /** For a flake.nix: the flake.lock beside it (null: there is none). */
  siblingLock?: string | null;
  /** `.hostplane-guard.yaml` text, for cases that need a non-default policy. */
  config?: string;
  /** Empty for negative cases. */
  expect: Expectation[];
}

/** Category of a rule id or of an expectation. */
export function categoryOf(ruleIdOrCategory: string): string {
  const slash = ruleIdOrCategory.indexOf("/");
  return slash === -1 ? ruleIdOrCategory : ruleIdOrCategory.slice(0, slash);
}

export function expectationLabel(e: Expectation): string {
  const what = e.ruleId ?? e.category ?? "?";
  const where = e.endLine !== undefined && e.endLine !== e.line ? `${e.line}-${e.endLine}` : `${e.line}`;
  return `${what}@${where}${e.optional ? " (optional)" : ""}`;
}
