/**
 * The module's pure parts, evaluated by the real Nix without nixpkgs: size and
 * address helpers, the contract.json mapping, and the nftables ruleset, which
 * the real `nft` must load.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostplane } from "../harness/cli.js";
import { NIX, NO_NIX, NixEvalError, nixEvalJson } from "./_nix.js";

const LIB = "(import ./nixos/modules/host/lib.nix)";
const skipNoNix = { skip: NIX ? false : NO_NIX };

test("toBytes reads sizes as the CLI does (powers of 1024) and rejects anything else", skipNoNix, async () => {
  const sizes = ["0", "4096", "007K", "512M", "10G", "2T"];
  const got = await nixEvalJson(NIX!, ["--expr", `map ${LIB}.toBytes [ ${sizes.map((s) => JSON.stringify(s)).join(" ")} 123 ]`]);
  assert.deepEqual(got, [0, 4096, 7 * 1024, 512 * 1024 ** 2, 10 * 1024 ** 3, 2 * 1024 ** 4, 123]);
  for (const bad of ["10GB", "1.5G", "-1G", "G", ""]) {
    await assert.rejects(nixEvalJson(NIX!, ["--expr", `${LIB}.toBytes ${JSON.stringify(bad)}`]), (err: Error) => {
      assert.ok(err instanceof NixEvalError);
      assert.match(err.message, /is not a size/);
      return true;
    });
  }
});

test("parseCidr, sliceName and inStore", skipNoNix, async () => {
  const got = await nixEvalJson(NIX!, ["--expr", `with ${LIB}; {
    v6 = parseCidr "fd68:706c:616e:6500::1/64";
    v4 = parseCidr "10.68.0.1/24";
    slice = sliceName "machine-microvms.slice";
    store = map inStore [ "/nix/store" "/nix/store/abc-key" "/nix/storeroom" "/var/lib/hostplane/secrets/wireguard.key" ];
  }`]);
  assert.deepEqual(got, {
    v6: { address: "fd68:706c:616e:6500::1", prefixLength: 64 },
    v4: { address: "10.68.0.1", prefixLength: 24 },
    slice: "machine-microvms",
    store: [true, true, false, false],
  });
  await assert.rejects(nixEvalJson(NIX!, ["--expr", `${LIB}.parseCidr "fd68::1"`]), /not an address with a prefix length/);
});

test("contract.json carries the site values in the CLI's shape, and the CLI accepts it", skipNoNix, async () => {
  const path = (p: string, mode: string) => `{ path = "${p}"; mode = "${mode}"; minFree = "1G"; warnFree = "3G"; }`;
  const cfg = `{
    profile = "control-plane"; kernelBaseline = "6.1"; microvmSlice = "vm.slice"; nixMinFree = "30G"; bootMinFree = "1G";
    bridge = { name = "br-x"; ipv6Address = "fd00::1/64"; };
    overlay = { interface = "wg-x"; privateKeyFile = "/run/secrets/wg"; };
    forwarding = { ipv4 = false; ipv6 = true; };
    paths = { images = ${path("/srv/img", "0750")}; volumes = ${path("/srv/vol", "0700")}; logs = ${path("/srv/log", "0750")}; state = ${path("/srv/state", "0700")}; };
    nix = { substituters = [ "https://cache.fleet.example" ]; trustedPublicKeys = [ "fleet-1:${"A".repeat(43)}=" ]; };
    contractCheck = { ignore = [ "hygiene" ]; };
  }`;
  const got = await nixEvalJson(NIX!, ["--expr", `import ./nixos/modules/host/contract-json.nix ${cfg}`]);
  const spec = (p: string, mode: string) => ({ path: p, mode, minFree: "1G", warnFree: "3G" });
  assert.deepEqual(got, {
    profile: "control-plane",
    kernelBaseline: "6.1",
    microvmSlice: "vm.slice",
    bridge: "br-x",
    overlayInterface: "wg-x",
    forwarding: { ipv4: false, ipv6: true },
    paths: { images: spec("/srv/img", "0750"), volumes: spec("/srv/vol", "0700"), logs: spec("/srv/log", "0750"), state: spec("/srv/state", "0700") },
    nixMinFree: "30G",
    bootMinFree: "1G",
    nix: { substituters: ["https://cache.fleet.example"], trustedPublicKeys: [`fleet-1:${"A".repeat(43)}=`] },
    ignore: ["hygiene"],
  });

  // The consumer: `hostplane contract check --config` exits 2 on a config it cannot read, 0 or 1 otherwise.
  const dir = mkdtempSync(join(tmpdir(), "hostplane-contract-"));
  try {
    const file = join(dir, "contract.json");
    writeFileSync(file, JSON.stringify(got));
    const r = hostplane(["contract", "check", "--config", file, "--no-scratch", "--json"], dir);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    assert.equal((JSON.parse(r.stdout) as { profile: string }).profile, "control-plane");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Loading a ruleset needs CAP_NET_ADMIN; a fresh network namespace keeps the host's own ruleset untouched.
function nftSkip(): string | false {
  if (!NIX) return NO_NIX;
  if (process.getuid?.() !== 0) return "loading an nftables ruleset needs root (CAP_NET_ADMIN in a scratch network namespace)";
  if (!["/usr/sbin/nft", "/usr/bin/unshare"].every((p) => existsSync(p))) return "nft or unshare missing (apt-get install nftables util-linux)";
  return false;
}

/** Load `ruleset` with `nft -f` in a throw-away network namespace; nft's exit status and the table as nft lists it back. */
function loadInScratchNamespace(ruleset: string): { status: number | null; listed: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "hostplane-nft-"));
  try {
    const file = join(dir, "ruleset.nft");
    writeFileSync(file, ruleset);
    const r = spawnSync("/usr/bin/unshare", ["--net", "--", "/bin/sh", "-c", `/usr/sbin/nft -f "$1" && /usr/sbin/nft list table inet hostplane`, "sh", file], { encoding: "utf8", timeout: 30_000 });
    return { status: r.status, listed: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function renderTable(bridge: string | null): Promise<string> {
  const args = `{ bridge = ${bridge === null ? "null" : JSON.stringify(bridge)}; overlayInterface = "wg-hostplane"; }`;
  const content = (await nixEvalJson(NIX!, ["--expr", `import ./nixos/modules/host/nftables-ruleset.nix ${args}`])) as string;
  // How networking.nftables.tables wraps a table's content.
  return `table inet hostplane {\n${content}\n}\n`;
}

test("the hostplane table loads in nft and drops forwarding by default", { skip: nftSkip() }, async () => {
  const microvm = loadInScratchNamespace(await renderTable("hpbr0"));
  assert.equal(microvm.status, 0, microvm.stderr);
  assert.match(microvm.listed, /chain forward \{\s+type filter hook forward priority filter; policy drop;/);
  assert.match(microvm.listed, /iifname "hpbr0" oifname != "hpbr0" accept/);
  assert.match(microvm.listed, /oifname "hpbr0" jump microvm-ingress/);
  assert.match(microvm.listed, /chain microvm-ingress \{/);
  assert.match(microvm.listed, /iifname "hpbr0" icmpv6 type \{ nd-router-advert, nd-redirect \} drop/);
  assert.match(microvm.listed, /packet-too-big/);

  const controlPlane = loadInScratchNamespace(await renderTable(null));
  assert.equal(controlPlane.status, 0, controlPlane.stderr);
  assert.match(controlPlane.listed, /policy drop;/);
  assert.doesNotMatch(controlPlane.listed, /hpbr0|microvm-ingress|chain input/);

  // The oracle can say no: a ruleset with a typo is refused.
  const broken = loadInScratchNamespace((await renderTable("hpbr0")).replace("policy drop", "policy dorp"));
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /syntax error/);
});
