/**
 * Fixture NixOS systems for test hosts: real store paths built by nix-build
 * from test/fixtures/system/default.nix, copied into host stores, and a
 * reboot that boots the boot default the way NixOS's stage 2 does.
 *
 * A fixture system's top-level path holds:
 *   bin/switch-to-configuration ACTION  NixOS's interface:
 *       boot    kernel + initrd copied to /boot/kernels/, /boot/default-system -> the system (a boot entry)
 *       test    runs its `activate`, without touching the boot default
 *       switch  boot, then test;   dry-activate  prints, changes nothing;   anything else: usage, exit 1
 *     boot|test|switch append "ISO-TIME ACTION PATH" to /run/hostplane-activations.log and hold
 *     /run/nixos/switch-to-configuration.lock (one activation at a time, as NixOS).
 *   activate          /run/current-system -> the system (atomic), /run/hostplane-failed-units (empty when
 *                     healthy, else "fixture-broken.service"), GC roots for /run/current-system and
 *                     /run/booted-system, and the generation's firewall (see breaksNetwork)
 *   kernel, initrd    symlinks into separate store paths (linux-KERNEL, initrd-INITRD), as in NixOS
 *   nixos-version     "25.05.TAG";  bin/nixos-version prints it
 *   bin/health-check  exits 0 when healthy, 1 when not
 *   hostplane-fixture.json  the parameters it was built with;   sw -> the payload path (if payloadBytes > 0)
 */
import { existsSync } from "node:fs";
import { readlink, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Nix, offlineNixConfig } from "../../nix/index.js";
import { initStore } from "./_store-init.js";
import type { TestHost } from "./host.js";

/** In the repository (from dist/src/sandbox/hosts/, four levels up): test systems are built from a checkout. */
export const SYSTEM_FIXTURE = fileURLToPath(new URL("../../../../test/fixtures/system/default.nix", import.meta.url));

export interface SystemOptions {
  /** Machine name in the store path: nixos-system-NAME-TAG. */
  name: string;
  /** Makes generations differ: nixos-version is 25.05.TAG. */
  generationTag: string;
  /** Kernel version: a different value is a "kernel changed" generation (default 6.6.1). */
  kernel?: string;
  /** Initrd version (default: the kernel's). */
  initrd?: string;
  /** false: activation records a failed unit and bin/health-check exits 1 (default true). */
  healthy?: boolean;
  /** Exit code of switch-to-configuration test|switch after activating (NixOS exits 4 when units failed); default 0. */
  switchExitCode?: number;
  /** Whole seconds test|switch wait before activating (to kill an agent mid-activation); default 0. */
  activationSeconds?: number;
  /** true: activation installs a firewall that drops everything but loopback (a generation that cuts the host off). */
  breaksNetwork?: boolean;
  /** Size of an extra payload path in the closure (zeros), for disk-space tests; default 0 (no payload). */
  payloadBytes?: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;

function nixArgs(o: SystemOptions): string {
  for (const [key, value] of [["name", o.name], ["generationTag", o.generationTag], ["kernel", o.kernel], ["initrd", o.initrd]] as const) {
    if (value !== undefined && !NAME_RE.test(value)) throw new Error(`fixture system ${key} ${JSON.stringify(value)} must be letters, digits and + . _ - (it goes into store path names)`);
  }
  for (const [key, value] of [["switchExitCode", o.switchExitCode], ["activationSeconds", o.activationSeconds], ["payloadBytes", o.payloadBytes]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw new Error(`fixture system ${key} must be a non-negative integer, got ${value}`);
  }
  const fields = [
    `name = ${JSON.stringify(o.name)};`,
    `generationTag = ${JSON.stringify(o.generationTag)};`,
    ...(o.kernel === undefined ? [] : [`kernel = ${JSON.stringify(o.kernel)};`]),
    ...(o.initrd === undefined ? [] : [`initrd = ${JSON.stringify(o.initrd)};`]),
    ...(o.healthy === undefined ? [] : [`healthy = ${String(o.healthy)};`]),
    ...(o.breaksNetwork === undefined ? [] : [`breaksNetwork = ${String(o.breaksNetwork)};`]),
    ...(o.switchExitCode === undefined ? [] : [`switchExitCode = ${o.switchExitCode};`]),
    ...(o.activationSeconds === undefined ? [] : [`activationSeconds = ${o.activationSeconds};`]),
    ...(o.payloadBytes === undefined ? [] : [`payloadBytes = ${o.payloadBytes};`]),
  ];
  return `import ${JSON.stringify(SYSTEM_FIXTURE)} { ${fields.join(" ")} }`;
}

/** Nix for a chroot store in the root namespace (builds, copies, signing), offline. */
export function storeNix(storeDir: string): Nix {
  return new Nix({ store: storeDir, env: { NIX_CONFIG: offlineNixConfig(), XDG_CACHE_HOME: join(storeDir, ".xdg-cache") } });
}

/**
 * Builds a fixture system and returns its top-level store path. `target` is a chroot store directory (e.g.
 * `fleet.buildStore`; build once, then copyToHosts) or a host (nix-build runs inside it, into its own store).
 */
export async function buildSystem(target: TestHost | string, options: SystemOptions): Promise<string> {
  const expr = nixArgs(options);
  if (typeof target === "string") {
    await initStore(target);
    const outs = await storeNix(target).build({ expr });
    const out = outs[0];
    if (out === undefined) throw new Error(`nix-build of fixture system ${options.name}-${options.generationTag} printed no path`);
    return out;
  }
  const r = await target.exec("nix-build", ["--no-out-link", "-E", expr], { timeoutMs: 300_000 });
  const out = r.stdout.toString("utf8").trim().split("\n").pop() ?? "";
  if (r.exitCode !== 0 || !out.startsWith("/nix/store/")) {
    throw new Error(`Cannot build fixture system ${options.name}-${options.generationTag} on test host ${target.name}: nix-build exited ${r.exitCode ?? r.signal}: ${r.stderr.trim().slice(-2000)}`);
  }
  return out;
}

/**
 * Copies store paths with their closures from a chroot store into each host's store (its root is the chroot
 * root: `root/nix/store` is its /nix/store). Unsigned, as if the host had built them; returns the paths copied per host.
 */
export async function copyToHosts(storeDir: string, paths: readonly string[], hosts: readonly TestHost[]): Promise<Map<string, string[]>> {
  const nix = storeNix(storeDir);
  await initStore(storeDir);
  const copied = new Map<string, string[]>();
  await Promise.all(hosts.map(async (h) => {
    const r = await nix.copy({ from: storeDir, to: h.root, paths, checkSigs: false });
    copied.set(h.name, r.copied);
  }));
  return copied;
}

/**
 * Simulates a reboot into the boot default: power-cycles the host (every process killed, fresh /run), then as
 * NixOS's stage 2 does: /run/booted-system -> the system /boot/default-system points at, and that system's
 * `activate` (which sets /run/current-system). Without a boot default nothing is linked. Starts no agent.
 */
export async function reboot(host: TestHost): Promise<{ booted: string | undefined }> {
  await host.powerCycle({ freshRun: true });
  const booted = await readlink(join(host.root, "boot", "default-system")).catch(() => undefined);
  // A real reboot starts with an empty firewall; the fixture's is per generation (the harness's cut is not: it is "the cable").
  await host.exec("nft", ["delete", "table", "inet", "hostplane_fixture"]).catch(() => undefined);
  if (booted === undefined) return { booted };
  await symlink(booted, join(host.root, "run", "booted-system"));
  if (!existsSync(join(host.root, booted, "activate"))) {
    // Not a fixture system: the kernel would still have booted it.
    await symlink(booted, join(host.root, "run", "current-system"));
    return { booted };
  }
  const r = await host.exec(`${booted}/activate`, []);
  if (r.exitCode !== 0) throw new Error(`reboot of test host ${host.name}: activation of ${booted} exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
  return { booted };
}

/**
 * A host prepared as a NixOS node that booted `system`: copied in from the build store (as if built there), made the
 * system profile's generation and the boot default, then booted (reboot above).
 */
export async function bootInto(fleet: { buildStore: string }, host: TestHost, system: string): Promise<void> {
  await copyToHosts(fleet.buildStore, [system], [host]);
  for (const [cmd, args] of [["nix-env", ["-p", "/nix/var/nix/profiles/system", "--set", system]], [`${system}/bin/switch-to-configuration`, ["boot"]]] as const) {
    const r = await host.exec(cmd, args);
    if (r.exitCode !== 0) throw new Error(`Cannot install ${system} on test host ${host.name}: ${cmd} ${args.join(" ")} exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
  }
  const { booted } = await reboot(host);
  if (booted !== system) throw new Error(`test host ${host.name} booted ${booted ?? "nothing"}, not ${system}`);
}
