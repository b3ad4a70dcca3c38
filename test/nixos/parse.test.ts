/** Every Nix file of the NixOS module (and of its tests) parses with the reference parser, Debian's `nix-instantiate --parse`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mapLimit, nixParse } from "../harness/nix-oracle.js";
import { NIX, NIXOS_DIR, NO_NIX, TEST_DIR, nixFiles, rel } from "./_nix.js";

test("every .nix file under nixos/ and test/nixos/ parses with nix-instantiate --parse", { skip: NIX ? false : NO_NIX }, async () => {
  const files = [...nixFiles(NIXOS_DIR), ...nixFiles(TEST_DIR)];
  // flake.nix, the module's entry point and its parts, package.nix: a walk that finds fewer has gone wrong.
  const moduleFiles = nixFiles(NIXOS_DIR);
  assert.ok(moduleFiles.length >= 3, `found only ${moduleFiles.map(rel).join(", ") || "nothing"} under nixos/`);
  for (const expected of ["nixos/flake.nix", "nixos/package.nix", "nixos/modules/host.nix"]) {
    assert.ok(files.map(rel).includes(expected), `${expected} not found`);
  }
  const verdicts = await mapLimit(files, 4, async (f) => ({ file: rel(f), ...(await nixParse(NIX!, f)) }));
  assert.deepEqual(verdicts.filter((v) => !v.accepted), []);
});
