/**
 * Human-readable report: findings grouped by file, each with a one-line code
 * frame and a caret underline, then a summary line.
 *
 * Secrets never reach the output: in a code frame, the region of every
 * finding on that line that carries `masked` (and of every `secret/*`
 * finding, masked or not) is replaced before the line is printed or clipped.
 */
import * as util from "node:util";
import type { Finding, Severity } from "../../guard/finding.js";
import { LineIndex } from "../../guard/line-index.js";
import { compareFindings, countSeverities, reportFails } from "../../guard/report.js";
import type { GuardReport } from "../../guard/report.js";

export interface TextOptions {
  color: boolean;
}

/** Longest code-frame line, in columns, before it is clipped around the region. */
export const FRAME_WIDTH = 160;

/** Shown in place of a secret region whose finding has no `masked` form. */
const REDACTED = "[redacted]";

type Style = "red" | "yellow" | "cyan" | "green" | "gray" | "bold" | "dim" | "underline";

const ESCAPES: Record<Style, [number, number]> = {
  red: [31, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  green: [32, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
  underline: [4, 24],
};

type Paint = (style: Style | Style[], text: string) => string;

function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  // styleText exists from Node 20.12; `validateStream: false` because the caller already decided on color.
  const styleText = (util as Partial<typeof util>).styleText;
  if (typeof styleText === "function") {
    return (style, text) => (text === "" ? text : styleText(style, text, { validateStream: false }));
  }
  return (style, text) => {
    if (text === "") return text;
    let out = text;
    for (const s of Array.isArray(style) ? [...style].reverse() : [style]) {
      const [open, close] = ESCAPES[s];
      out = `\u001b[${open}m${out}\u001b[${close}m`;
    }
    return out;
  };
}

const SEVERITY_STYLE: Record<Severity, Style> = { error: "red", warning: "yellow", note: "cyan" };

/**
 * Replaces control characters (terminal escapes, tabs), bidi overrides and
 * line separators with one character each, so columns stay aligned and
 * source text cannot drive the terminal.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function sanitize(text: string): string {
  return text.replace(/\t/g, " ").replace(UNSAFE, "\ufffd");
}

interface MaskRange {
  start: number;
  end: number;
  replacement: string;
}

/** Sensitive ranges on `line` (0-based, half-open, in line text columns), sorted and merged. */
function maskRanges(line: number, lineLength: number, findings: readonly Finding[]): MaskRange[] {
  const ranges: MaskRange[] = [];
  for (const f of findings) {
    if (f.masked === undefined && !f.ruleId.startsWith("secret/")) continue;
    const { start, end } = f.region;
    if (start.line > line || end.line < line) continue;
    const s = clamp(start.line === line ? start.column - 1 : 0, 0, lineLength);
    const e = clamp(end.line === line ? end.column - 1 : lineLength, 0, lineLength);
    if (e <= s) continue;
    ranges.push({ start: s, end: e, replacement: f.masked ?? REDACTED });
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: MaskRange[] = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last !== undefined && r.start < last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/** Maps a column of the original line to the masked line. Inside a mask, `start` maps to its beginning, `end` to its end. */
function mapColumn(col: number, ranges: readonly MaskRange[], side: "start" | "end"): number {
  let delta = 0;
  for (const r of ranges) {
    if (col <= r.start) break;
    if (col < r.end || (side === "end" && col === r.end)) {
      return side === "start" ? r.start + delta : r.start + delta + r.replacement.length;
    }
    delta += r.replacement.length - (r.end - r.start);
  }
  return col + delta;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(Math.max(n, lo), hi);
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

interface CodeFrame {
  /** The displayed line: masked, sanitised and clipped. */
  text: string;
  /** 0-based display column of the first caret and the caret count. */
  caretStart: number;
  caretLength: number;
}

/**
 * The code frame of a finding's start line. `sameFile` holds all findings of
 * the file, so other findings' secrets on the line are masked too.
 */
export function buildCodeFrame(finding: Finding, lineText: string, sameFile: readonly Finding[]): CodeFrame {
  const { start, end } = finding.region;
  const line = start.line;
  const ranges = maskRanges(line, lineText.length, sameFile.includes(finding) ? sameFile : [...sameFile, finding]);

  let masked = "";
  let cursor = 0;
  for (const r of ranges) {
    masked += lineText.slice(cursor, r.start) + r.replacement;
    cursor = r.end;
  }
  masked += lineText.slice(cursor);
  const display = sanitize(masked);

  const s0 = clamp(start.column - 1, 0, lineText.length);
  const e0 = end.line === line ? clamp(end.column - 1, s0, lineText.length) : lineText.length;
  const a = mapColumn(s0, ranges, "start");
  const b = Math.max(mapColumn(e0, ranges, "end"), a + 1);

  if (display.length <= FRAME_WIDTH) return { text: display, caretStart: a, caretLength: b - a };

  let from = b - a >= FRAME_WIDTH ? a : a - Math.floor((FRAME_WIDTH - (b - a)) / 2);
  from = clamp(from, 0, display.length - FRAME_WIDTH);
  if (from > 0 && isLowSurrogate(display, from)) from += 1;
  let to = Math.min(from + FRAME_WIDTH, display.length);
  if (to < display.length && isLowSurrogate(display, to)) to -= 1;
  const head = from > 0 ? "…" : "";
  const tail = to < display.length ? "…" : "";
  const caretStart = clamp(a, from, to) - from + head.length;
  const caretEnd = clamp(b, from, to) - from + head.length;
  return { text: head + display.slice(from, to) + tail, caretStart, caretLength: Math.max(caretEnd - caretStart, 1) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function renderText(report: GuardReport, options: TextOptions): string {
  const paint = painter(options.color);
  const byFile = new Map<string, Finding[]>();
  for (const f of [...report.findings].sort(compareFindings)) {
    const list = byFile.get(f.file);
    if (list === undefined) byFile.set(f.file, [f]);
    else list.push(f);
  }

  const out: string[] = [];
  for (const [file, findings] of byFile) {
    out.push(paint("underline", sanitize(file)));
    const source = report.sources.get(file);
    const index = source === undefined ? undefined : new LineIndex(source);
    const posWidth = Math.max(...findings.map((f) => `${f.region.start.line}:${f.region.start.column}`.length));
    const sevWidth = Math.max(...findings.map((f) => f.severity.length));
    for (const f of findings) {
      const pos = `${f.region.start.line}:${f.region.start.column}`.padEnd(posWidth);
      const sev = paint(SEVERITY_STYLE[f.severity], f.severity.padEnd(sevWidth));
      out.push(`  ${paint("dim", pos)}  ${sev}  ${sanitize(f.message)}  ${paint("gray", sanitize(f.ruleId))}`);
      const line = f.region.start.line;
      if (index === undefined || !Number.isInteger(line) || line < 1 || line > index.lineCount) continue;
      const frame = buildCodeFrame(f, index.lineText(line), findings);
      const num = String(line);
      out.push(`    ${paint("dim", `${num} |`)} ${frame.text}`.trimEnd());
      const carets = paint(SEVERITY_STYLE[f.severity], "^".repeat(frame.caretLength));
      out.push(`    ${" ".repeat(num.length)}${paint("dim", " |")} ${" ".repeat(frame.caretStart)}${carets}`);
    }
    out.push("");
  }

  out.push(summaryLine(report, byFile.size, paint));
  return `${out.join("\n")}\n`;
}

function summaryLine(report: GuardReport, fileCount: number, paint: Paint): string {
  const { stats } = report;
  const checked = `${plural(stats.files, "file")} checked`;
  if (report.findings.length === 0) {
    const extra = [
      ...(stats.suppressed > 0 ? [`${stats.suppressed} suppressed`] : []),
      ...(stats.baselined > 0 ? [`${stats.baselined} baselined`] : []),
    ];
    return [paint(["green", "bold"], "✔ no problems"), checked, ...extra].join(" · ");
  }
  const c = countSeverities(report.findings);
  const parts = [plural(c.errors, "error"), plural(c.warnings, "warning"), ...(c.notes > 0 ? [plural(c.notes, "note")] : [])];
  const fails = reportFails(report);
  const head = `${fails ? "✖" : "⚠"} ${plural(report.findings.length, "problem")} (${parts.join(", ")}) in ${plural(fileCount, "file")}`;
  return [
    paint([fails ? "red" : "yellow", "bold"], head),
    checked,
    `${stats.suppressed} suppressed`,
    `${stats.baselined} baselined`,
  ].join(" · ");
}
