/**
 * What every guard check produces: a finding at an exact place in a file.
 * Findings are plain data so they cross worker threads and reporters unchanged.
 */

export type Severity = "error" | "warning" | "note";

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { note: 0, warning: 1, error: 2 };

/** 1-based line and column (columns count UTF-16 code units, as editors and SARIF do). */
export interface Position {
  line: number;
  column: number;
}

export interface Region {
  start: Position;
  end: Position;
}

export interface Finding {
  /** `<category>/<name>`, e.g. `secret/aws-access-key`, `store-leak/user-password`. */
  ruleId: string;
  severity: Severity;
  /** Names the attribute path (when there is one) and the safe alternative. Never contains a secret. */
  message: string;
  /** Path relative to the scan root, with forward slashes. */
  file: string;
  region: Region;
  /** Dotted attribute path the finding sits under, when known (`users.users.alice.password`). */
  attrPath?: string;
  /** Masked form of a matched secret (prefix and length), never the value itself. */
  masked?: string;
  /**
   * Stable identity for baselines: survives line shifts (built from rule, file,
   * attribute path and a hash of the matched text, plus an occurrence counter).
   */
  fingerprint: string;
}

/** A finding before the file-level pass fills in `file`, `region` and `fingerprint`. */
export interface RawFinding {
  ruleId: string;
  message: string;
  /** Offsets into the file text (UTF-16 code units), half-open. */
  start: number;
  end: number;
  attrPath?: string;
  /** The matched secret text; used only to mask it and to hash it for the fingerprint. */
  secretText?: string;
}
