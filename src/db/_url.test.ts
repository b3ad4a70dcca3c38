import assert from "node:assert/strict";
import { test } from "node:test";
import { DatabaseUrlError, parseDatabaseUrl, redactUrl } from "./_url.js";

test("SQLite URLs: sqlite:PATH verbatim, sqlite:///absolute, a bare .db path, :memory:", () => {
  assert.deepEqual(parseDatabaseUrl("sqlite:state.db"), { kind: "sqlite", path: "state.db" });
  assert.deepEqual(parseDatabaseUrl("sqlite:data/hp"), { kind: "sqlite", path: "data/hp" });
  assert.deepEqual(parseDatabaseUrl("sqlite:/var/lib/hostplane/state.db"), { kind: "sqlite", path: "/var/lib/hostplane/state.db" });
  assert.deepEqual(parseDatabaseUrl("sqlite:///var/lib/hostplane/state.db"), { kind: "sqlite", path: "/var/lib/hostplane/state.db" });
  assert.deepEqual(parseDatabaseUrl("/var/lib/hostplane/state.db"), { kind: "sqlite", path: "/var/lib/hostplane/state.db" });
  assert.deepEqual(parseDatabaseUrl("./state.db"), { kind: "sqlite", path: "./state.db" });
  assert.deepEqual(parseDatabaseUrl(":memory:"), { kind: "sqlite", path: ":memory:" });
  assert.deepEqual(parseDatabaseUrl("sqlite::memory:"), { kind: "sqlite", path: ":memory:" });
});

test("PostgreSQL URLs pass through whole (the driver reads their parameters)", () => {
  for (const url of ["postgres://u:p@db.example:5432/hp?sslmode=require", "postgresql://db.example/hp", "postgres://u:p%40ss@[::1]/hp"]) {
    assert.deepEqual(parseDatabaseUrl(url), { kind: "postgres", url });
  }
});

test("anything else is a DatabaseUrlError that shows the URL without its password", () => {
  const cases: [string, RegExp][] = [
    ["mysql://root:hunter2@db/hp", /Unsupported database URL "mysql:\/\/root:\*\*\*@db\/hp": use sqlite:PATH/],
    ["state.sqlite", /Unsupported database URL "state.sqlite"/],
    ["", /Unsupported database URL ""/],
    ["sqlite:", /sqlite: names no file/],
    ["sqlite://relative/x.db", /names no absolute path/],
    ["postgres://u:hunter2@host:notaport/db", /postgres:\/\/u:\*\*\*@host:notaport\/db is not a valid URL/],
    ["postgres://u:hun#ter2@host/db", /postgres:\/\/u:\*\*\*@host\/db is not a valid URL/],
  ];
  for (const [url, message] of cases) {
    assert.throws(() => parseDatabaseUrl(url), (e: Error) => {
      assert.ok(e instanceof DatabaseUrlError, url);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("hunter2") && !e.url.includes("hunter2") && e.cause === undefined, `${url}: no password anywhere`);
      return true;
    });
  }
});

test("redactUrl hides passwords in the user part and in parameters, and nothing else", () => {
  assert.equal(redactUrl("postgres://alice:s3cr3t@db:5432/hp"), "postgres://alice:***@db:5432/hp");
  assert.equal(redactUrl("postgres://alice@db/hp"), "postgres://alice@db/hp");
  assert.equal(redactUrl("postgres://db/hp?user=a&password=s3cr3t&sslmode=require"), "postgres://db/hp?user=a&password=***&sslmode=require");
  assert.equal(redactUrl("postgres://db/hp?sslpassword=x&PassWord=y"), "postgres://db/hp?sslpassword=***&PassWord=***");
  // An unescaped "@" or "/" in the password: everything up to the last "@" goes.
  assert.equal(redactUrl("postgres://alice:p@ss/w@rd@db/hp"), "postgres://alice:***@db/hp");
  assert.equal(redactUrl("sqlite:/var/lib/a@b.db"), "sqlite:/var/lib/a@b.db");
});
