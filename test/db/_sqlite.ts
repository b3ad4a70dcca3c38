/** SQLite for the repository suite: a fresh file per test under one temporary directory. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Backend } from "./repository-suite.js";

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "hostplane-db-"));
  let n = 0;
  const path = (url: string): string => url.slice("sqlite:".length);
  return {
    name: "SQLite",
    skip: false,
    freshUrl: () => Promise.resolve(`sqlite:${join(dir, `t${++n}.db`)}`),
    query(url, sql) {
      const db = new Database(path(url));
      try {
        const statement = db.prepare(sql);
        return Promise.resolve(statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []));
      } finally {
        db.close();
      }
    },
    dump(url) {
      // The raw bytes (the WAL too: recent commits live there until a checkpoint) and every row as text.
      const file = path(url);
      const raw = [file, `${file}-wal`].map((f) => { try { return readFileSync(f).toString("latin1"); } catch { return ""; } });
      const db = new Database(file, { readonly: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[];
        const rows = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all()));
        return Promise.resolve([...raw, ...rows].join("\n"));
      } finally {
        db.close();
      }
    },
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}
