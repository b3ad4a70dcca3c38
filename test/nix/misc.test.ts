/** Config, version, timeouts and a missing binary, against real Nix. */
import assert from "node:assert/strict";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Nix, NixError } from "../../src/nix/index.js";
import { NIX_SKIP, makeLab, type Lab } from "./harness.js";

describe("Nix adapter: config, version, timeouts", { skip: NIX_SKIP }, () => {
  let lab: Lab;
  before(async () => { lab = await makeLab("misc"); });
  after(async () => { await lab.cleanup(); });

  test("showConfig reads the settings given in NIX_CONFIG, with feature names (not 2.8's ordinals)", async () => {
    const cfg = await lab.nix().showConfig();
    assert.deepEqual(cfg.substituters?.value, []);
    assert.deepEqual(cfg.substituters?.defaultValue, ["https://cache.nixos.org/"]);
    assert.equal(cfg["build-users-group"]?.value, "");
    assert.equal(typeof cfg["require-sigs"]?.value, "boolean");
    const features = cfg["experimental-features"]?.value;
    assert.ok(Array.isArray(features) && features.includes("nix-command"), JSON.stringify(features));
    assert.ok(Array.isArray(cfg["trusted-public-keys"]?.value));
  });

  test("version", async () => {
    const v = await lab.nix().version();
    assert.equal(v.major, 2);
    assert.match(v.raw, /^nix \(Nix\) /);
  });

  test("a build that outlives timeoutMs is killed and reported as timeout", async () => {
    const nix = lab.nix(lab.storePath("slow"), { timeoutMs: 1500 });
    const started = Date.now();
    await assert.rejects(
      nix.build({ expr: 'derivation { name = "sleepy"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "sleep 30; echo > $out" ]; }' }),
      (e: unknown) => {
        assert.ok(e instanceof NixError);
        assert.equal(e.code, "timeout", e.message);
        assert.equal(e.run?.timedOut, true);
        assert.match(e.message, /timed out after \d+ ms/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, "killed promptly");
  });

  test("a missing nix binary is a NixError naming the path", async () => {
    const nix = new Nix({ bin: `${lab.dir}/no-bin`, env: lab.env });
    await assert.rejects(nix.version(), (e: unknown) => e instanceof NixError && /cannot run .*no-bin\/nix/.test(e.message));
  });

  test("newer Nix (emulated: no show-config, keyed path-info): the adapter falls back and parses", async () => {
    // A stand-in for Nix ≥ 2.20, which this machine does not have; it answers like the documented CLI.
    const bin = join(lab.dir, "fake-bin");
    await mkdir(bin, { recursive: true });
    const x = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x";
    await writeFile(join(bin, "nix"), [
      "#!/bin/sh",
      '[ "$1" = --extra-experimental-features ] && shift 2',
      'case "$*" in',
      "  'show-config --json') echo \"error: 'show-config' is not a recognised command\" >&2; exit 1;;",
      `  'config show --json') printf '%s' '{"substituters":{"value":["https://cache.example/"],"defaultValue":[]}}';;`,
      `  'path-info --json -- ${x}') printf '%s' '{"${x}":null}';;`,
      "  'path-info --json -- /nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-y') echo 'not json';;",
      "  '--version') echo 'nix (Nix) 2.24.0';;",
      "  *) echo \"unexpected: $*\" >&2; exit 1;;",
      "esac",
      "",
    ].join("\n"));
    await chmod(join(bin, "nix"), 0o755);
    const nix = new Nix({ bin, env: lab.env });
    assert.deepEqual((await nix.showConfig()).substituters?.value, ["https://cache.example/"]);
    assert.deepEqual(await nix.pathInfo([x]), [{ valid: false, path: x }]);
    assert.equal((await nix.version()).minor, 24);
    await assert.rejects(nix.pathInfo(["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-y"]), (e: unknown) =>
      e instanceof NixError && e.code === "unknown" && /cannot read/.test(e.message) && e.run?.exitCode === 0);
  });
});
