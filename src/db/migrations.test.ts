import assert from "node:assert/strict";
import { test } from "node:test";
import { MIGRATIONS, pendingMigrations, SCHEMA_VERSION, SchemaTooNewError } from "./migrations.js";

test("migrations are numbered 1..n without gaps, each with SQL for both dialects", () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1));
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  for (const m of MIGRATIONS) assert.ok(m.sql.sqlite.trim() !== "" && m.sql.postgres.trim() !== "" && m.name !== "");
});

test("pendingMigrations: all on an empty database, the missing ones in order, none when current", () => {
  assert.deepEqual(pendingMigrations([], "db").map((m) => m.version), MIGRATIONS.map((m) => m.version));
  assert.deepEqual(pendingMigrations([SCHEMA_VERSION], "db").map((m) => m.version), MIGRATIONS.slice(0, -1).map((m) => m.version));
  assert.deepEqual(pendingMigrations(MIGRATIONS.map((m) => m.version), "db"), []);
});

test("a schema newer than the code is refused, naming both versions and the database", () => {
  assert.throws(() => pendingMigrations([1, SCHEMA_VERSION + 1], "/var/lib/hostplane/state.db"), (e: Error) => {
    assert.ok(e instanceof SchemaTooNewError);
    assert.equal(e.message.startsWith(`The database /var/lib/hostplane/state.db has schema version ${SCHEMA_VERSION + 1}, newer than this hostplane knows (${SCHEMA_VERSION})`), true, e.message);
    return true;
  });
});
