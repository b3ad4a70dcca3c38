/**
 * Writing a secret key file: mode 0600 from the first byte (a temp file
 * opened with O_EXCL and 0600, then renamed or hard-linked into place), so
 * the key is never readable by others, not even for a moment.
 */
import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { KeyError, type SecretKey } from "./keys.js";

export interface WriteSecretKeyOptions {
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
}

export async function writeSecretKeyFile(path: string, key: SecretKey, options: WriteSecretKeyOptions = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let placed = false;
  try {
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.chmod(0o600); // independent of the umask
      await handle.writeFile(key.revealNixFormat());
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite === true) {
      await rename(tmp, path);
      placed = true;
    } else {
      // link() fails with EEXIST instead of replacing: an atomic "create if absent".
      await link(tmp, path);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "EEXIST"
        ? "already exists; refusing to overwrite a secret key (pass overwrite: true to replace it)"
        : `cannot write secret key ${key.name}: ${code ?? (err as Error).message}`;
    throw new KeyError(path, reason, { cause: err });
  } finally {
    if (!placed) await unlink(tmp).catch(() => undefined);
  }
}
