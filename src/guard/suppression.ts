/**
 * Inline suppressions:
 *
 *   foo = "…"; # hostplane-guard: allow secret/generic-token -- test fixture, not a real key
 *
 *   # hostplane-guard: allow secret/*, store-leak/user-password -- rotated, see OPS-12
 *   foo = "…";
 *
 *   foo = "…"; /* hostplane-guard: allow pinning/* -- vendored input *\/
 *
 * A comment at the end of a line applies to findings starting on that line; a
 * comment alone on its line applies to its own line and the line below. The
 * reason after `--` is required: a suppression without one (or otherwise
 * malformed) becomes a `guard/invalid-suppression` finding and suppresses nothing.
 *
 * The scan is linear: the marker is found with `indexOf` and everything
 * else is parsed by hand, so long lines cannot trigger regex backtracking.
 * The scan does not tokenize Nix, so a marker after a `#` inside a string
 * literal is taken as a comment as well.
 */
import type { Finding, RawFinding } from "./finding.js";
import type { RuleMeta } from "./rule-meta.js";
import { LineIndex } from "./line-index.js";

const SUPPRESSION_MARKER = "hostplane-guard:";

export const SUPPRESSION_RULE: RuleMeta = {
  id: "guard/invalid-suppression",
  category: "guard",
  severity: "error",
  title: "Malformed hostplane-guard suppression comment",
  help:
    "A `hostplane-guard:` comment must read `allow <rule-id>[, <rule-id>…] -- <reason>`. Rule ids are full ids " +
    "(`secret/aws-access-key`) or category wildcards (`secret/*`), and the reason after `--` is required so reviewers " +
    "can tell why the finding is acceptable. A malformed suppression suppresses nothing.",
  bad: 'password = "…"; # hostplane-guard: allow secret/*',
  good: 'password = "…"; # hostplane-guard: allow secret/* -- throwaway key for the VM test, not used in production',
};

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  /** The comment is alone on its line, so it also covers the next line. */
  standalone: boolean;
  /** Full rule ids or `<category>/*` wildcards. */
  rules: string[];
  reason: string;
  /** Offsets of the comment (half-open, UTF-16). */
  start: number;
  end: number;
}

export interface ParseSuppressionsOptions {
  /** When given, rule ids (and wildcard categories) not in this set make the suppression invalid. */
  knownRuleIds?: ReadonlySet<string>;
}

const RULE_ID = /^[a-z0-9][a-z0-9-]*\/(?:\*|[a-z0-9][a-z0-9-]*)$/;

function isBlank(code: number): boolean {
  return code === 32 || code === 9; // space, tab
}

function isWhitespace(code: number): boolean {
  return isBlank(code) || code === 13 || code === 10 || code === 12 || code === 11;
}

export function parseSuppressions(
  text: string,
  options: ParseSuppressionsOptions = {},
): { suppressions: Suppression[]; problems: RawFinding[] } {
  const suppressions: Suppression[] = [];
  const problems: RawFinding[] = [];
  let at = text.indexOf(SUPPRESSION_MARKER);
  if (at === -1) return { suppressions, problems };

  const lines = new LineIndex(text);
  // Per-line bounds, computed once per line that holds a marker.
  let cachedLine = 0;
  let lineStart = 0;
  let lineEnd = 0;

  while (at !== -1) {
    const { line } = lines.position(at);
    if (line !== cachedLine) {
      cachedLine = line;
      lineStart = lines.offset({ line, column: 1 });
      lineEnd = lineStart + lines.lineText(line).length;
    }
    const next = parseOne(text, at, lineStart, lineEnd, line, options, suppressions, problems);
    at = text.indexOf(SUPPRESSION_MARKER, next);
  }
  return { suppressions, problems };
}

/**
 * Parses the marker at `at`; records a suppression or a problem (or nothing
 * when the marker is not inside a comment). Returns where to continue searching.
 */
function parseOne(
  text: string,
  at: number,
  lineStart: number,
  lineEnd: number,
  line: number,
  options: ParseSuppressionsOptions,
  suppressions: Suppression[],
  problems: RawFinding[],
): number {
  const afterMarker = at + SUPPRESSION_MARKER.length;
  // Walk back over blanks to the comment opener.
  let back = at;
  while (back > lineStart && isBlank(text.charCodeAt(back - 1))) back -= 1;
  let kind: "line" | "block";
  let open: number;
  if (back > lineStart && text.charCodeAt(back - 1) === 35 /* # */) {
    kind = "line";
    open = back - 1;
    while (open > lineStart && text.charCodeAt(open - 1) === 35) open -= 1; // "## hostplane-guard:"
  } else if (back - 1 > lineStart && text.charCodeAt(back - 1) === 42 /* * */ && text.charCodeAt(back - 2) === 47 /* / */) {
    kind = "block";
    open = back - 2;
  } else {
    return afterMarker; // the marker is not the start of a comment: not ours
  }

  // Body end: line end for `#`, the `*/` on the same line for block comments.
  let bodyEnd: number;
  let commentEnd: number;
  if (kind === "line") {
    bodyEnd = lineEnd;
    commentEnd = lineEnd;
  } else {
    let close = -1;
    for (let i = afterMarker; i + 1 < lineEnd; i++) {
      if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
        close = i;
        break;
      }
    }
    if (close === -1) {
      problems.push(problem(open, lineEnd, "block comment suppressions must end with `*/` on the same line"));
      return lineEnd;
    }
    bodyEnd = close;
    commentEnd = close + 2;
  }

  let standalone = true;
  for (let i = lineStart; i < open && standalone; i++) if (!isBlank(text.charCodeAt(i))) standalone = false;
  for (let i = commentEnd; i < lineEnd && standalone; i++) if (!isWhitespace(text.charCodeAt(i))) standalone = false;

  const result = parseBody(text.slice(afterMarker, bodyEnd), options);
  if (typeof result === "string") {
    problems.push(problem(open, commentEnd, result));
  } else {
    suppressions.push({ line, standalone, rules: result.rules, reason: result.reason, start: open, end: commentEnd });
  }
  // A `#` comment runs to the end of the line, so nothing after it is another comment.
  return kind === "line" ? lineEnd : commentEnd;
}

const FORM = "expected `hostplane-guard: allow <rule-id>[, <rule-id>…] -- <reason>`";

/** Parses `allow a/b, c/* -- reason`; returns an error message when malformed. */
function parseBody(body: string, options: ParseSuppressionsOptions): { rules: string[]; reason: string } | string {
  const trimmed = body.trim();
  if (!trimmed.startsWith("allow") || (trimmed.length > 5 && !isWhitespace(trimmed.charCodeAt(5)))) {
    return `unknown suppression form; ${FORM}`;
  }
  const rest = trimmed.slice(5);
  const dashes = rest.indexOf("--");
  if (dashes === -1) return "suppression is missing its reason: add `-- <why this is acceptable>`";
  const reason = rest.slice(dashes + 2).trim();
  if (reason === "") return "suppression has an empty reason after `--`; say why this finding is acceptable";
  const list = rest.slice(0, dashes).trim();
  if (list === "") return `suppression names no rule; ${FORM}`;
  const rules: string[] = [];
  for (const [index, part] of list.split(",").entries()) {
    const id = part.trim();
    // The offending text is not quoted: a finding message must never echo arbitrary source text.
    if (!RULE_ID.test(id)) {
      return id === ""
        ? `empty rule id in the list; ${FORM}`
        : `entry ${index + 1} of the rule list is not a rule id (\`secret/aws-access-key\`) or category wildcard (\`secret/*\`)`;
    }
    const known = options.knownRuleIds;
    if (known !== undefined && !isKnown(id, known)) return `unknown rule "${id}"`;
    rules.push(id);
  }
  return { rules, reason };
}

function isKnown(id: string, known: ReadonlySet<string>): boolean {
  if (!id.endsWith("/*")) return known.has(id);
  const prefix = id.slice(0, -1); // "secret/"
  for (const k of known) if (k.startsWith(prefix)) return true;
  return false;
}

function problem(start: number, end: number, message: string): RawFinding {
  return { ruleId: SUPPRESSION_RULE.id, message: `invalid suppression: ${message}`, start, end };
}

/** Whether a rule pattern (`secret/aws-access-key` or `secret/*`) covers a rule id. */
export function ruleMatches(pattern: string, ruleId: string): boolean {
  if (pattern.endsWith("/*")) return ruleId.startsWith(pattern.slice(0, -1));
  return pattern === ruleId;
}

/**
 * Whether a suppression covers a finding: an end-of-line comment on the
 * finding's start line, or a comment alone on the line directly above it.
 */
export function isSuppressed(finding: Finding, suppressions: readonly Suppression[]): boolean {
  const line = finding.region.start.line;
  return suppressions.some(
    (s) =>
      (s.line === line || (s.standalone && s.line === line - 1)) && s.rules.some((pattern) => ruleMatches(pattern, finding.ruleId)),
  );
}
