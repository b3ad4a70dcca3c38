/**
 * Differential test: our parser and `nix-instantiate --parse` (Debian's Nix
 * 2.8) must agree on accept/reject for every file of a corpus of edge cases,
 * generated programs and mutated programs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNixInstantiate, mapLimit, nixParse } from "../harness/nix-oracle.js";
import { genProgram, mutate, Rng } from "../harness/nix-gen.js";
import { EDGE_CASES } from "./edge-cases.js";
import { parseNix } from "../../src/guard/nix/parser.js";
import { checkScopes } from "../../src/guard/nix/scope.js";

function ours(src: string): { accepted: boolean; message: string } {
  try {
    checkScopes(parseNix(src, { nix28: true }).ast);
    return { accepted: true, message: "" };
  } catch (err) {
    return { accepted: false, message: (err as Error).message };
  }
}

const nix = findNixInstantiate();
const GENERATED = Number(process.env.HOSTPLANE_DIFF_COUNT ?? 300);

test("parser agrees with nix-instantiate --parse on accept/reject", { skip: nix ? false : "nix-instantiate not installed (apt-get install nix-bin)" }, async () => {
  const rng = new Rng(20261125);
  const corpus: string[] = [...EDGE_CASES];
  for (let i = 0; i < GENERATED; i++) corpus.push(genProgram(rng));
  for (let i = 0; i < GENERATED; i++) corpus.push(mutate(rng, genProgram(rng)));
  const dir = mkdtempSync(join(tmpdir(), "hostplane-diff-"));
  try {
    const files = corpus.map((src, i) => {
      const f = join(dir, `case-${i}.nix`);
      writeFileSync(f, src);
      return f;
    });
    const verdicts = await mapLimit(files, 4, (f) => nixParse(nix!, f));
    const disagreements: string[] = [];
    let accepted = 0;
    verdicts.forEach((v, i) => {
      const mine = ours(corpus[i]!);
      if (v.accepted) accepted++;
      if (mine.accepted !== v.accepted) {
        disagreements.push(`${JSON.stringify(corpus[i])}\n    nix: ${v.accepted ? "accepts" : v.message}\n    ours: ${mine.accepted ? "accepts" : mine.message}`);
      }
    });
    // Both outcomes must be well represented, or the test proves little.
    assert.ok(accepted > corpus.length / 5, `only ${accepted} of ${corpus.length} cases valid`);
    assert.ok(corpus.length - accepted > corpus.length / 10, `only ${corpus.length - accepted} cases invalid`);
    assert.deepEqual(disagreements.slice(0, 10), [], `${disagreements.length} of ${corpus.length} files disagree`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
