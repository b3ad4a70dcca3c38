/**
 * Binary-cache signing keys made by Nix itself. `nix-store
 * --generate-binary-cache-key` silently overwrites existing files, so keys are
 * generated in a private directory beside the target and moved into place
 * only if nothing is there: an existing secret key is never clobbered.
 */
import { chmod, copyFile, constants, link, mkdtemp, readFile, rename, rm, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { NixRunner } from "./_runner.js";
import { NixError } from "./errors.js";

export interface GeneratedKey {
  name: string;
  /** `<name>:<base64 of 32 bytes>`, as listed in trusted-public-keys. */
  publicKey: string;
  secretPath: string;
  publicPath: string;
}

const KEY_NAME_RE = /^[A-Za-z0-9][\w.-]*$/;

function isExists(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "EEXIST";
}

async function place(from: string, to: string, overwrite: boolean, sameDir: boolean): Promise<void> {
  if (overwrite) {
    if (sameDir) await rename(from, to);
    else await copyFile(from, to);
    return;
  }
  // link() and COPYFILE_EXCL fail if `to` exists, with no window for a race.
  if (sameDir) await link(from, to);
  else await copyFile(from, to, constants.COPYFILE_EXCL);
}

export async function generateKey(
  runner: NixRunner,
  files: { name: string; secretPath: string; publicPath: string },
  options: { overwrite?: boolean; timeoutMs?: number } = {},
): Promise<GeneratedKey> {
  const { name, secretPath, publicPath } = files;
  if (!KEY_NAME_RE.test(name)) {
    throw new NixError("bad-key", `Cannot generate key '${name}': a key name is letters, digits, '.', '_' or '-' (no ':' or spaces), e.g. 'fleet-1'`);
  }
  const work = await mkdtemp(join(dirname(secretPath), `.${basename(secretPath)}.tmp-`));
  const tmpSecret = join(work, "secret");
  const tmpPublic = join(work, "public");
  const overwrite = options.overwrite === true;
  let secretPlaced = false;
  try {
    await runner.exec("nix-store", ["--generate-binary-cache-key", name, tmpSecret, tmpPublic], {
      what: `generating signing key ${name}`,
      timeoutMs: options.timeoutMs,
    });
    await chmod(tmpSecret, 0o600);
    try {
      await place(tmpSecret, secretPath, overwrite, true);
      secretPlaced = true;
      await place(tmpPublic, publicPath, overwrite, dirname(publicPath) === dirname(secretPath));
    } catch (err) {
      if (secretPlaced && !overwrite) await unlink(secretPath).catch(() => undefined);
      if (isExists(err)) {
        throw new NixError("key-exists", `Cannot write key '${name}': ${secretPlaced ? publicPath : secretPath} already exists; choose a new name/path or remove it first`, { cause: err });
      }
      throw err;
    }
    await chmod(secretPath, 0o600);
    const publicKey = (await readFile(publicPath, "utf8")).trim();
    return { name, publicKey, secretPath, publicPath };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
