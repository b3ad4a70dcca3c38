/**
 * The agent's state directory (default /var/lib/hostplane/agent, mode 0700):
 * identity.json (mode 0600), the node id and its credential; and, from just
 * before enrollment until the identity is saved, pending-enrollment.json
 * (0600), the credential the agent proposed, so a crash between the server's
 * enrollment and saving the identity does not lose it (agent.ts recovers).
 * Each file is written as temp + fsync + rename + fsync of the directory, so
 * a crash leaves the old file or the new one, never half of one; temp files a
 * crash left behind are removed on load. The credential never leaves this
 * module except to become the client's bearer token.
 *
 * The files are checked by hand, not with zod: the resident agent does not
 * load zod (see bench/agent-rss.ts).
 */
import { constants } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export const IDENTITY_FILE = "identity.json";
export const PENDING_FILE = "pending-enrollment.json";
const TEMP_MARK = ".tmp-";
const IDENTITY_SCHEMA = "hostplane.agent-identity/v1";
const PENDING_SCHEMA = "hostplane.agent-pending-enrollment/v1";

export interface Identity {
  nodeId: string;
  name: string;
  server: string;
  credential: string;
  enrolledAt: string;
}

/** A credential proposed to the server, saved before the enroll request. */
export interface PendingEnrollment {
  name: string;
  server: string;
  credential: string;
  createdAt: string;
}

export class StateDirError extends Error {
  override readonly name = "StateDirError";
}

/** The first field of `fields` that is not a string (non-empty unless noted), or null. */
function badField(data: Record<string, unknown>, fields: readonly string[]): string | null {
  for (const f of fields) {
    const v = data[f];
    if (typeof v !== "string") return `${f}: expected a string, got ${v === undefined ? "nothing" : v === null ? "null" : typeof v}`;
    if (v === "" && f !== "enrolledAt") return `${f}: expected a non-empty string`;
  }
  return null;
}

export class StateDir {
  constructor(readonly dir: string) {}

  get file(): string {
    return join(this.dir, IDENTITY_FILE);
  }

  get pendingFile(): string {
    return join(this.dir, PENDING_FILE);
  }

  /** Creates the directory (0700) if needed, removes a crash's temp files, and answers the stored identity or null. */
  async load(): Promise<Identity | null> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone; the credential's directory must not be readable by others.
    if (((await stat(this.dir)).mode & 0o077) !== 0) await chmod(this.dir, 0o700);
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(`.${IDENTITY_FILE}${TEMP_MARK}`) || name.startsWith(`.${PENDING_FILE}${TEMP_MARK}`)) await rm(join(this.dir, name), { force: true });
    }
    const data = await this.readJson(this.file, "enroll again with a new bootstrap token");
    if (data === null) return null;
    const bad = data.schema !== IDENTITY_SCHEMA ? `schema: expected "${IDENTITY_SCHEMA}"` : badField(data, ["nodeId", "name", "server", "credential", "enrolledAt"]);
    if (bad !== null) throw new StateDirError(`${this.file} is not an agent identity (${bad}); remove it and enroll again with a new bootstrap token`);
    return { nodeId: data.nodeId as string, name: data.name as string, server: data.server as string, credential: data.credential as string, enrolledAt: data.enrolledAt as string };
  }

  /** Replaces identity.json atomically, mode 0600. */
  async save(identity: Identity): Promise<void> {
    await this.writeJson(this.file, { schema: IDENTITY_SCHEMA, ...identity });
  }

  /** Removes the identity (decommissioned or revoked); the directory stays. */
  async wipe(): Promise<void> {
    await rm(this.file, { force: true });
    await this.syncDir();
  }

  /** The pending enrollment, or null; call after load() (which cleans up temp files). */
  async loadPending(): Promise<PendingEnrollment | null> {
    const data = await this.readJson(this.pendingFile, "enroll again with the bootstrap token");
    if (data === null) return null;
    const bad = data.schema !== PENDING_SCHEMA ? `schema: expected "${PENDING_SCHEMA}"` : badField(data, ["name", "server", "credential", "createdAt"]);
    if (bad !== null) throw new StateDirError(`${this.pendingFile} is not a pending enrollment (${bad}); remove it and enroll again with the bootstrap token`);
    return { name: data.name as string, server: data.server as string, credential: data.credential as string, createdAt: data.createdAt as string };
  }

  /** Replaces pending-enrollment.json atomically, mode 0600: durable before the enroll request leaves. */
  async savePending(pending: PendingEnrollment): Promise<void> {
    await this.writeJson(this.pendingFile, { schema: PENDING_SCHEMA, ...pending });
  }

  /** Removes the pending enrollment once the identity is saved. */
  async removePending(): Promise<void> {
    await rm(this.pendingFile, { force: true });
    await this.syncDir();
  }

  private async readJson(file: string, remedy: string): Promise<Record<string, unknown> | null> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new StateDirError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      // JSON.parse's message quotes the text; the text holds a credential.
      throw new StateDirError(`${file} is not valid JSON; it is only ever replaced whole, so the disk or another program damaged it: remove it and ${remedy}`, { cause: err });
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new StateDirError(`${file} does not hold a JSON object; remove it and ${remedy}`);
    }
    return data as Record<string, unknown>;
  }

  private async writeJson(file: string, value: object): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const base = file.slice(this.dir.length + 1);
    const temp = join(this.dir, `.${base}${TEMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`);
    const text = JSON.stringify(value, null, 2) + "\n";
    try {
      const fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await fh.writeFile(text, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, file);
      await this.syncDir();
    } catch (err) {
      await rm(temp, { force: true });
      throw new StateDirError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
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
