import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineIndex } from "./line-index.js";

void describe("LineIndex", () => {
  void it("maps offsets to 1-based lines and columns with \\n", () => {
    const idx = new LineIndex("ab\ncde\n\nf");
    assert.equal(idx.lineCount, 4);
    assert.deepEqual(idx.position(0), { line: 1, column: 1 });
    assert.deepEqual(idx.position(2), { line: 1, column: 3 }); // the "\n" itself
    assert.deepEqual(idx.position(3), { line: 2, column: 1 });
    assert.deepEqual(idx.position(5), { line: 2, column: 3 });
    assert.deepEqual(idx.position(7), { line: 3, column: 1 });
    assert.deepEqual(idx.position(8), { line: 4, column: 1 });
    assert.deepEqual(idx.position(9), { line: 4, column: 2 }); // end of text
    assert.deepEqual(
      ["ab", "cde", "", "f"],
      [1, 2, 3, 4].map((l) => idx.lineText(l)),
    );
  });

  void it("handles \\r\\n line breaks and strips the \\r from line text", () => {
    const idx = new LineIndex("ab\r\ncd\r\n");
    assert.equal(idx.lineCount, 3);
    assert.equal(idx.lineText(1), "ab");
    assert.equal(idx.lineText(2), "cd");
    assert.equal(idx.lineText(3), "");
    assert.deepEqual(idx.position(4), { line: 2, column: 1 });
    assert.deepEqual(idx.position(5), { line: 2, column: 2 });
  });

  void it("handles a final line without newline, empty text, and clamps offsets", () => {
    const idx = new LineIndex("x\nlast");
    assert.equal(idx.lineText(2), "last");
    assert.deepEqual(idx.position(6), { line: 2, column: 5 });
    assert.deepEqual(idx.position(99), { line: 2, column: 5 });
    assert.deepEqual(idx.position(-3), { line: 1, column: 1 });
    const empty = new LineIndex("");
    assert.equal(empty.lineCount, 1);
    assert.equal(empty.lineText(1), "");
    assert.deepEqual(empty.position(0), { line: 1, column: 1 });
  });

  void it("inverts position() with offset()", () => {
    const text = "let\r\n  a = 1;\n  b = 2;\nin a";
    const idx = new LineIndex(text);
    for (let off = 0; off <= text.length; off++) {
      if (text[off - 1] === "\r" && text[off] === "\n") continue; // inside a line break
      assert.equal(idx.offset(idx.position(off)), off, `offset ${off}`);
    }
  });

  void it("rejects lines that do not exist", () => {
    const idx = new LineIndex("a\nb");
    assert.throws(() => idx.lineText(0), RangeError);
    assert.throws(() => idx.lineText(3), RangeError);
  });

  void it("agrees with a naive scan on many lines", () => {
    const text = Array.from({ length: 500 }, (_, i) => "x".repeat(i % 7)).join("\n");
    const idx = new LineIndex(text);
    let line = 1;
    let col = 1;
    for (let off = 0; off <= text.length; off++) {
      assert.deepEqual(idx.position(off), { line, column: col });
      if (text[off] === "\n") {
        line += 1;
        col = 1;
      } else col += 1;
    }
  });
});
