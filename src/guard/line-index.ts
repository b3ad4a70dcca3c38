/**
 * Offset ↔ line/column mapping for one file's text.
 *
 * Lines end at `\n`; a `\r` directly before it belongs to the line break
 * (so `\r\n` files report the same columns as `\n` files). The text after
 * the last `\n` is a line too, even when empty. Columns count UTF-16 code
 * units, 1-based, like editors and SARIF.
 */
import type { Position } from "./finding.js";

export class LineIndex {
  readonly #text: string;
  /** Offset of the first character of each line; `#starts[0]` is always 0. */
  readonly #starts: number[];

  constructor(text: string) {
    this.#text = text;
    const starts = [0];
    let at = text.indexOf("\n");
    while (at !== -1) {
      starts.push(at + 1);
      at = text.indexOf("\n", at + 1);
    }
    this.#starts = starts;
  }

  /** Number of lines (a text without any newline has one line). */
  get lineCount(): number {
    return this.#starts.length;
  }

  /**
   * 1-based line and column of a UTF-16 offset. Offsets are clamped into
   * `[0, text.length]`; `text.length` is the position just after the last character.
   */
  position(offset: number): Position {
    const clamped = Math.min(Math.max(Math.trunc(offset) || 0, 0), this.#text.length);
    const starts = this.#starts;
    // Largest i with starts[i] <= clamped.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#startOf(mid) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - this.#startOf(lo) + 1 };
  }

  /** Offset of a 1-based position (inverse of `position`); columns past the line end clamp to it. */
  offset(position: Position): number {
    const line = this.#checkLine(position.line);
    const start = this.#startOf(line - 1);
    return Math.min(start + Math.max(position.column, 1) - 1, this.#endOf(line - 1));
  }

  /** Text of a 1-based line without its line break. Throws RangeError for lines that do not exist. */
  lineText(line: number): string {
    const checked = this.#checkLine(line);
    return this.#text.slice(this.#startOf(checked - 1), this.#endOf(checked - 1));
  }

  #checkLine(line: number): number {
    if (!Number.isInteger(line) || line < 1 || line > this.#starts.length) {
      throw new RangeError(`line ${line} is outside 1..${this.#starts.length}`);
    }
    return line;
  }

  #startOf(index: number): number {
    return this.#starts[index] ?? this.#text.length;
  }

  /** Offset just past the last character of a line, excluding `\n` and a `\r` before it. */
  #endOf(index: number): number {
    const next = this.#starts[index + 1];
    if (next === undefined) return this.#text.length;
    let end = next - 1; // the "\n"
    if (end > this.#startOf(index) && this.#text.charCodeAt(end - 1) === 13) end -= 1;
    return end;
  }
}
