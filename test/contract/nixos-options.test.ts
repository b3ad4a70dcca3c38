/**
 * The NixOS module and the host contract name the same options: every option a
 * check says satisfies it is set by nixosModules.host, and every option the
 * module sets is named by a check or listed below with the reason it is not a
 * check of its own. The option paths are read from the module's source with
 * hostplane's own Nix parser and option-path walker (the same walk guard uses),
 * so this runs without nixpkgs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../harness/cli.js";
import { CONTRACT } from "../../src/contract/catalog.js";
import { parseNix } from "../../src/guard/nix/parser.js";
import { walkNix } from "../../src/guard/analyze/walk.js";
import { SUPPORTING_OPTIONS } from "../nixos/_contract-options.js";

/** The files that are NixOS modules (the others are builtins-only helpers they import). */
const MODULE_FILES = ["host.nix", "host/options.nix", "host/kernel.nix", "host/network.nix", "host/storage.nix", "host/nix-trust.nix", "host/services.nix", "host/agent.nix"];

/** NixOS's top-level option namespaces: definitions elsewhere are helper data (arguments of toJSON, mkOption fields). */
const NIXOS_ROOTS = new Set([
  "assertions", "warnings", "boot", "console", "containers", "documentation", "environment", "fileSystems", "fonts",
  "hardware", "i18n", "networking", "nix", "nixpkgs", "powerManagement", "programs", "security", "services",
  "swapDevices", "system", "systemd", "time", "users", "virtualisation", "xdg", "zramSwap",
]);


function definedOptions(): Set<string> {
  const paths = new Set<string>();
  for (const file of MODULE_FILES) {
    const source = readFileSync(join(REPO_ROOT, "nixos/modules", file), "utf8");
    walkNix(parseNix(source).ast, {
      def: (ev) => {
        if (ev.scope !== "attrs" || !NIXOS_ROOTS.has(ev.path[0] ?? "")) return;
        paths.add(ev.path.join("."));
      },
    });
  }
  return paths;
}

const under = (path: string, option: string): boolean => path === option || path.startsWith(`${option}.`);

test("every NixOS option a contract check names is set by nixosModules.host", () => {
  const defined = [...definedOptions()];
  assert.ok(defined.length > 30, `found only ${defined.length} definitions: is the walk reading the module?`);
  const named = new Set(CONTRACT.flatMap((c) => c.nixos));
  const unset = [...named].filter((o) => !defined.some((p) => under(p, o)));
  assert.deepEqual(unset, [], "options the contract names but the module does not set");
});

test("every option nixosModules.host sets is named by a check or is a documented supporting option", () => {
  const accounted = [...new Set(CONTRACT.flatMap((c) => c.nixos)), ...Object.keys(SUPPORTING_OPTIONS)];
  // A definition is accounted for when it is an accounted option, lies under one, or is an attribute set on the way to one.
  const stray = [...definedOptions()].filter((p) => !accounted.some((o) => under(p, o) || o.startsWith(`${p}.`)));
  assert.deepEqual(stray, [], "options the module sets that no check names: add them to a check's nixos list, or to SUPPORTING_OPTIONS (test/nixos/_contract-options.ts) with a reason");
  for (const option of Object.keys(SUPPORTING_OPTIONS)) {
    assert.ok([...definedOptions()].some((p) => under(p, option)), `${option} is listed as supporting but the module does not set it`);
  }
});

test("the cross-check can fail: an option outside the contract is caught", () => {
  const source = "{ config, lib, ... }: { config = lib.mkIf true { virtualisation.docker.enable = true; boot.kernelModules = [ \"kvm-intel\" ]; }; }";
  const found: string[] = [];
  walkNix(parseNix(source).ast, { def: (ev) => { if (ev.scope === "attrs" && NIXOS_ROOTS.has(ev.path[0] ?? "")) found.push(ev.path.join(".")); } });
  assert.ok(found.includes("virtualisation.docker.enable") && found.includes("boot.kernelModules"));
  const accounted = CONTRACT.flatMap((c) => c.nixos);
  assert.ok(!accounted.some((o) => under("virtualisation.docker.enable", o)));
});
