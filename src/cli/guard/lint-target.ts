/** Read one target and lint it; shared by the main thread and the worker threads. */
import { readFileSync } from "node:fs";
import type { Finding } from "../../guard/finding.js";
import { lintFile, type LintOptions } from "../../guard/lint.js";
import type { GuardTarget } from "./collect.js";

export interface FileResult {
  rel: string;
  bytes: number;
  findings: Finding[];
  suppressed: number;
  /** The file text, kept only when there are findings (for code frames). */
  text?: string;
}

export function lintTarget(target: GuardTarget, options: LintOptions): FileResult {
  let text: string;
  try {
    text = readFileSync(target.abs, "utf8");
  } catch (err) {
    const finding: Finding = {
      ruleId: "guard/parse-error", severity: "error", file: target.rel,
      message: `cannot read this file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      region: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }, fingerprint: `unreadable:${target.rel}`,
    };
    return { rel: target.rel, bytes: 0, findings: [finding], suppressed: 0 };
  }
  const input = { file: target.rel, text, ...(target.siblingLock !== undefined ? { siblingLock: target.siblingLock } : {}) };
  const { findings, suppressed } = lintFile(input, options);
  return { rel: target.rel, bytes: Buffer.byteLength(text), findings, suppressed, ...(findings.length ? { text } : {}) };
}
