/**
 * The agent's state directory (default /var/lib/hostplane/agent, mode 0700):
 * one file, identity.json (mode 0600), holding the node id and its credential.
 * One file, written as temp + fsync + rename + fsync of the directory, so a
 * crash leaves the old file or the new one, never half of one; temp files a
 * crash left behind are removed on load. The credential never leaves this
 * module except to become the client's bearer token.
 */
import { constants } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";

export const IDENTITY_FILE = "identity.json";
const TEMP_MARK = ".tmp-";

const IdentitySchema = z.object({
  schema: z.literal("hostplane.agent-identity/v1"),
  nodeId: z.string().min(1),
  name: z.string().min(1),
  server: z.string().min(1),
  credential: z.string().min(1),
  enrolledAt: z.string(),
});

export type Identity = Omit<z.infer<typeof IdentitySchema>, "schema">;

export class StateDirError extends Error {
  override readonly name = "StateDirError";
}

export class StateDir {
  constructor(readonly dir: string) {}

  get file(): string {
    return join(this.dir, IDENTITY_FILE);
  }

  /** Creates the directory (0700) if needed, removes a crash's temp files, and answers the stored identity or null. */
  async load(): Promise<Identity | null> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone; the credential's directory must not be readable by others.
    if (((await stat(this.dir)).mode & 0o077) !== 0) await chmod(this.dir, 0o700);
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(`.${IDENTITY_FILE}${TEMP_MARK}`)) await rm(join(this.dir, name), { force: true });
    }
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new StateDirError(`cannot read ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new StateDirError(`${this.file} is not valid JSON (${(err as Error).message}); it is only ever replaced whole, so the disk or another program damaged it: remove it and enroll again with a new bootstrap token`, { cause: err });
    }
    const r = IdentitySchema.safeParse(data);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new StateDirError(`${this.file} is not an agent identity (${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}); remove it and enroll again with a new bootstrap token`);
    }
    return { nodeId: r.data.nodeId, name: r.data.name, server: r.data.server, credential: r.data.credential, enrolledAt: r.data.enrolledAt };
  }

  /** Replaces identity.json atomically, mode 0600. */
  async save(identity: Identity): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = join(this.dir, `.${IDENTITY_FILE}${TEMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`);
    const text = JSON.stringify({ schema: "hostplane.agent-identity/v1", ...identity }, null, 2) + "\n";
    try {
      const fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await fh.writeFile(text, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, this.file);
      await this.syncDir();
    } catch (err) {
      await rm(temp, { force: true });
      throw new StateDirError(`cannot write ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  }

  /** Removes the identity (decommissioned or revoked); the directory stays. */
  async wipe(): Promise<void> {
    await rm(this.file, { force: true });
    await this.syncDir();
  }

  /** Makes a rename or unlink durable: without it a power loss can bring the old directory entry back. */
  private async syncDir(): Promise<void> {
    const dh = await open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
