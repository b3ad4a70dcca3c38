/**
 * Problems with paths, for people: a schema's issues found here before
 * anything is sent, and the ones a server listed in its problem answer, both
 * as `path: message` lines under one headline (a UsageError: exit 2).
 */
import type { z } from "zod";
import type { ApiProblemError } from "../server/api-client.js";
import { UsageError } from "./errors.js";

export interface PathIssue {
  path: string;
  message: string;
}

/** A zod issue path as dotted text (`roles.microvm-host.path`), `(top level)` for the root. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

/** Every issue of a failed parse, in order. */
export function zodIssues(error: z.ZodError): PathIssue[] {
  return error.issues.map((i) => ({ path: issuePath(i.path), message: i.message }));
}

/** One error listing every issue; `headline` says what was checked and what did (not) happen. */
export function issuesError(headline: string, issues: readonly PathIssue[], options: { hint: string; cause?: unknown }): UsageError {
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`);
  const text = `${headline}: ${issues.length} problem${issues.length === 1 ? "" : "s"}\n${lines.join("\n")}\n${options.hint}`;
  return new UsageError(text, options.cause === undefined ? undefined : { cause: options.cause });
}

/**
 * A refusal the server explained path by path (400 invalid-request, 422 release-rejected) as the same kind of
 * list, with the `body.` prefix taken off so the paths read as in the file; null when it listed none.
 */
export function serverIssuesError(err: ApiProblemError, headline: string, hint: string): UsageError | null {
  const errors = err.problem.errors;
  if (errors === undefined || errors.length === 0) return null;
  const issues = errors.map((e) => ({ path: e.path.replace(/^body\.?/, "") || "(top level)", message: e.message }));
  return issuesError(`${headline} (HTTP ${err.status} ${err.code})`, issues, { hint, cause: err });
}
