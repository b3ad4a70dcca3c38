import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { inspect } from "node:util";
import Database from "better-sqlite3";
import { DatabaseOpenError, DatabaseUrlError, openDatabase } from "../../src/db/index.js";
import { newNode } from "./_fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hostplane-open-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("every SQLite URL form opens a working database; a new file is private (0600) and in WAL mode", async () => {
  const forms = [`sqlite:${dir}/a.db`, `sqlite://${dir}/b.db`, `${dir}/c.db`, ":memory:", "sqlite::memory:"];
  for (const url of forms) {
    const repo = await openDatabase(url, { migrate: true });
    try {
      await repo.createNode(newNode("web-1"));
      assert.equal((await repo.listNodes()).length, 1, url);
    } finally {
      await repo.close();
    }
  }
  for (const name of ["a.db", "b.db", "c.db"]) {
    assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
    const db = new Database(join(dir, name), { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();
  }
});

test("a SQLite file that cannot be opened is a DatabaseOpenError naming it, with the cause chained", async () => {
  const missing = join(dir, "no-such-dir", "state.db");
  await assert.rejects(openDatabase(`sqlite:${missing}`), (e: Error) =>
    e instanceof DatabaseOpenError && e.url === missing && e.message.startsWith(`Cannot open the SQLite database ${missing}: `) && e.cause instanceof Error);
  const junk = join(dir, "junk.db");
  writeFileSync(junk, "this is not a database, it is text long enough to fill a header of one hundred bytes ........................");
  await assert.rejects(openDatabase(junk), (e: Error) => e instanceof DatabaseOpenError && /not a database/.test(e.message));
});

test("an unsupported URL is a DatabaseUrlError before anything is opened", async () => {
  await assert.rejects(openDatabase("mysql://root:hunter2@db/hp"), (e: Error) => e instanceof DatabaseUrlError && !inspect(e).includes("hunter2"));
});

test("an unreachable PostgreSQL is a DatabaseOpenError whose message, fields and causes hold no password", async () => {
  // Port 1 on loopback: refused at once, no server needed.
  const url = "postgres://alice:hunter2@127.0.0.1:1/hp?password=hunter2";
  await assert.rejects(openDatabase(url, { connectTimeoutMs: 2000 }), (e: Error) => {
    assert.ok(e instanceof DatabaseOpenError);
    assert.equal(e.url, "postgres://alice:***@127.0.0.1:1/hp?password=***");
    assert.match(e.message, /^Cannot reach the PostgreSQL database postgres:\/\/alice:\*\*\*@127\.0\.0\.1:1\/hp\?password=\*\*\*: /);
    assert.ok(e.cause !== undefined, "the driver's error is chained");
    assert.ok(!inspect(e, { depth: 10 }).includes("hunter2"), inspect(e, { depth: 10 }));
    return true;
  });
});
