/**
 * PostgreSQL for the repository suite: the local server (127.0.0.1:5432, trust
 * auth), one database per test file (created through `postgres`, dropped at
 * the end) and a schema per test inside it, chosen by the URL's search_path.
 * When the server cannot be reached the backend says why, and the suite skips.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Backend } from "./repository-suite.js";

const SERVER = process.env["HOSTPLANE_TEST_PG"] ?? "postgres://postgres@127.0.0.1:5432";

/** The URL of database `db` on the test server, with `schema` first on its search_path. */
function urlOf(db: string, schema?: string): string {
  return schema === undefined ? `${SERVER}/${db}` : `${SERVER}/${db}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export async function postgresBackend(): Promise<Backend> {
  const database = `hostplane_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: urlOf("postgres"), connectionTimeoutMillis: 3000 });
  // A connection the server ends (another test file's DROP … WITH (FORCE), a restart) must not crash this process.
  const ignore = (): void => {};
  admin.on("error", ignore);
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  } catch (error) {
    await admin.end().catch(() => {});
    const reason = `PostgreSQL at ${SERVER} is not reachable (${error instanceof Error ? error.message : String(error)})`;
    console.log(`# skipping the PostgreSQL suite: ${reason}`);
    return unavailable(reason);
  }
  const pool = new pg.Pool({ connectionString: urlOf(database), max: 2 });
  pool.on("error", ignore);
  let n = 0;
  return {
    name: "PostgreSQL",
    skip: false,
    async freshUrl() {
      const schema = `t${++n}`;
      await pool.query(`CREATE SCHEMA ${schema}`);
      return urlOf(database, schema);
    },
    async query(url, sql) {
      const client = new pg.Client({ connectionString: url });
      client.on("error", ignore);
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(sql)).rows;
      } finally {
        await client.end();
      }
    },
    async dump(url) {
      const schema = new URL(url).searchParams.get("options")!.replace("-c search_path=", "");
      const tables = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema]);
      const out: string[] = [];
      for (const { table_name } of tables.rows) {
        const rows = await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${schema}."${table_name}" t`);
        out.push(...rows.rows.map((r) => r.row));
      }
      return out.join("\n");
    },
    async cleanup() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

function unavailable(reason: string): Backend {
  const refuse = (): Promise<never> => Promise.reject(new Error(reason));
  return { name: "PostgreSQL", skip: reason, freshUrl: refuse, query: refuse, dump: refuse, cleanup: () => Promise.resolve() };
}
