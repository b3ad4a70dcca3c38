/**
 * `hostplane server` as a child process (the real binary: --cache,
 * --trusted-key, its own rollout loop at the 1 s tick) on a SQLite file, so a
 * test or benchmark can kill -9 it and start it again on the same database
 * and port. The first admin token is issued straight into the database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../../src/db/index.js";
import { ApiClient } from "../../src/server/api-client.js";
import { issueOperatorToken } from "../../src/server/index.js";
import { freePort } from "../../src/sandbox/_ports.js";
import { waitFor } from "../agent/_harness.js";

const BIN = fileURLToPath(new URL("../../../bin/hostplane.js", import.meta.url));

export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private out = "";
  admin = "";
  port = 0;

  constructor(private readonly o: { dbPath: string; host: string; cacheUrl: string; trustedKeys: string[] }) {}

  async start(): Promise<void> {
    if (this.admin === "") {
      const repo = await openDatabase(`sqlite:${this.o.dbPath}`, { migrate: true });
      try {
        this.admin = (await issueOperatorToken(repo, { name: "test-admin", role: "admin", expiresAt: null }, { actor: "local:test", at: new Date().toISOString() })).token;
      } finally {
        await repo.close();
      }
    }
    if (this.port === 0) this.port = await freePort(this.o.host);
    const child = spawn(process.execPath, [BIN, "server", "--listen", `[${this.o.host}]:${this.port}`, "--database", `sqlite:${this.o.dbPath}`,
      "--cache", this.o.cacheUrl, ...this.o.trustedKeys.flatMap((k) => ["--trusted-key", k])], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout.on("data", (c: Buffer) => { this.out += c.toString(); });
    child.stderr.on("data", (c: Buffer) => { this.out += c.toString(); });
    this.exited = new Promise((r) => child.once("exit", () => r()));
    await waitFor("hostplane server listening", async () => {
      if (child.exitCode !== null) throw new Error(`hostplane server exited ${child.exitCode}: ${this.out.slice(-2000)}`);
      return (await fetch(`${this.url()}/v1/health`).catch(() => null))?.ok;
    }, 20_000, 100);
  }

  /** kill -9: no shutdown, no closing of the database. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    this.child?.kill(signal);
    await this.exited;
    this.child = undefined;
  }

  url(): string {
    return `http://[${this.o.host}]:${this.port}`;
  }

  client(): ApiClient {
    return new ApiClient({ server: this.url(), token: this.admin, timeoutMs: 5000 });
  }

  output(): string {
    return this.out;
  }
}
