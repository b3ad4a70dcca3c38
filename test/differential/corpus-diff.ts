/**
 * Differential check on a real corpus (not run in CI: the corpus is public
 * repositories checked out locally). Usage:
 *   node dist/test/differential/corpus-diff.js DIR [--jobs N]
 * Prints how many files each parser accepts and every disagreement.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findNixInstantiate, mapLimit, nixParse } from "../harness/nix-oracle.js";
import { parseNix } from "../../src/guard/nix/parser.js";
import { checkScopes } from "../../src/guard/nix/scope.js";

function nixFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== ".git") nixFiles(p, out);
    else if (e.isFile() && e.name.endsWith(".nix")) out.push(p);
  }
  return out;
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { jobs: { type: "string" } } });
const nix = findNixInstantiate();
if (!nix || positionals.length === 0) {
  console.error("usage: corpus-diff DIR… (needs nix-instantiate)");
  process.exit(2);
}
const files = positionals.flatMap((d) => (statSync(d).isDirectory() ? nixFiles(d) : [d]));
let bytes = 0;
let agree = 0;
let nixAccepts = 0;
const disagreements: string[] = [];
await mapLimit(files, Number(values.jobs ?? 2), async (file) => {
  const src = readFileSync(file, "utf8");
  bytes += src.length;
  let ours: string | null = null;
  try {
    checkScopes(parseNix(src, { nix28: true }).ast);
  } catch (err) {
    ours = (err as Error).message;
  }
  const theirs = await nixParse(nix, file);
  if (theirs.accepted) nixAccepts++;
  if ((ours === null) === theirs.accepted) agree++;
  else disagreements.push(`${file}\n  nix: ${theirs.accepted ? "accepts" : theirs.message}\n  ours: ${ours ?? "accepts"}`);
});
console.log(disagreements.join("\n"));
console.log(`files: ${files.length} (${(bytes / 1e6).toFixed(1)} MB); nix accepts ${nixAccepts}; agreement ${agree}/${files.length}; disagreements ${disagreements.length}`);
