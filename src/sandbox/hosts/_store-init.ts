/**
 * Creates a Nix store's database before anything uses it concurrently: Nix 2.8
 * processes that open the same fresh store at once can read a half-written
 * schema file ("…/db/schema is corrupt"). A real host's store always exists,
 * so host stores are initialised at first boot, chroot build stores before
 * their first build.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { offlineNixConfig } from "../../nix/index.js";
import { run } from "../../process/run.js";
import { TOOLS } from "./_tools.js";

const inflight = new Map<string, Promise<void>>();

async function init(root: string): Promise<void> {
  const r = await run(TOOLS.nixStore, ["--store", root, "--init"], { env: { ...process.env, NIX_CONFIG: offlineNixConfig() }, timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`Cannot initialise the Nix store under ${root}: nix-store --init exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
}

/** `root` is a chroot store root (its store is root/nix/store): a host's root or a build store. */
export async function initStore(root: string): Promise<void> {
  if (existsSync(join(root, "nix", "var", "nix", "db", "schema"))) return;
  let p = inflight.get(root);
  if (p === undefined) {
    p = init(root).finally(() => inflight.delete(root));
    inflight.set(root, p);
  }
  await p;
}
