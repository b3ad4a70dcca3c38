import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { inspect } from "node:util";
import { openDatabase } from "../../src/db/index.js";
import { newNode } from "./_fixtures.js";
import { repositorySuite } from "./repository-suite.js";
import { postgresBackend } from "./_postgres.js";

const backend = await postgresBackend();
after(() => backend.cleanup());
repositorySuite(backend);

/** Ends every connection hostplane holds to the database at `url` (a server restart, as its clients see it). */
async function killConnections(url: string): Promise<number> {
  const rows = await backend.query(url,
    "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'hostplane' AND datname = current_database()");
  return rows.length;
}

describe("PostgreSQL connections that die", { skip: backend.skip }, () => {
  test("an idle connection killed by the server is reported to onIdleError, without the client (and its password), and replaced", async () => {
    const url = await backend.freshUrl();
    const errors: Error[] = [];
    const repo = await openDatabase(url.replace("postgres://postgres@", "postgres://postgres:hunter2@"), { migrate: true, onIdleError: (e) => errors.push(e) });
    try {
      await repo.createNode(newNode("web-1"));
      assert.ok((await killConnections(url)) >= 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(errors.length >= 1, "the pool reported the lost connection");
      assert.ok(errors.every((e) => !inspect(e, { depth: 10, showHidden: true }).includes("hunter2")));
      assert.equal((await repo.getNode("id-web-1"))!.name, "web-1", "the next statement gets a new connection");
    } finally {
      await repo.close();
    }
  });

  test("a connection killed inside a transaction fails that transaction, which writes nothing, and the repository goes on", async () => {
    const url = await backend.freshUrl();
    const repo = await openDatabase(url, { migrate: true, onIdleError: () => {} });
    try {
      await assert.rejects(repo.transaction(async (tx) => {
        await tx.createNode(newNode("web-1"));
        await killConnections(url);
        await tx.createNode(newNode("web-2"));
      }));
      assert.deepEqual(await repo.listNodes(), []);
      await repo.createNode(newNode("web-3"));
      assert.deepEqual((await repo.listNodes()).map((n) => n.name), ["web-3"]);
    } finally {
      await repo.close();
    }
  });
});
