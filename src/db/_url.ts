/**
 * Which database a `--database` value names, and that value made fit for a
 * message: any password (in the user part or a `password=` parameter) is `***`.
 */

export type DatabaseTarget =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string };

/** The database URL is not one we can open; `url` has its password replaced by `***`. */
export class DatabaseUrlError extends Error {
  override readonly name = "DatabaseUrlError";
  constructor(readonly url: string, message: string) {
    super(message);
  }
}

const FORMS = "use sqlite:PATH, sqlite:///absolute/path, a path ending in .db, :memory:, or postgres://user@host:5432/database";

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url === ":memory:" || url === "sqlite::memory:") return { kind: "sqlite", path: ":memory:" };
  if (url.startsWith("sqlite://")) {
    const path = url.slice("sqlite://".length);
    if (!path.startsWith("/") || path === "/") throw new DatabaseUrlError(redactUrl(url), `Database URL ${redactUrl(url)} names no absolute path: write sqlite:///var/lib/hostplane/state.db, or sqlite:relative/path.db`);
    return { kind: "sqlite", path };
  }
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path === "") throw new DatabaseUrlError(url, `Database URL sqlite: names no file: ${FORMS}`);
    return { kind: "sqlite", path };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    // URL's TypeError keeps the input (password and all) in a property: it is not chained as the cause.
    if (!URL.canParse(url)) throw new DatabaseUrlError(redactUrl(url), `Database URL ${redactUrl(url)} is not a valid URL (percent-encode special characters in the user name and password)`);
    return { kind: "postgres", url };
  }
  if (!url.includes("://") && url.endsWith(".db")) return { kind: "sqlite", path: url };
  throw new DatabaseUrlError(redactUrl(url), `Unsupported database URL ${JSON.stringify(redactUrl(url))}: ${FORMS}`);
}

/**
 * `url` with its password, wherever it is, replaced by `***`. Works on text
 * that does not parse as a URL, erring towards hiding too much.
 */
export function redactUrl(url: string): string {
  let out = url;
  const authority = out.indexOf("://");
  // The last "@": a password may itself hold an unescaped "@".
  const at = out.lastIndexOf("@");
  if (authority >= 0 && at > authority) {
    const colon = out.indexOf(":", authority + 3);
    if (colon >= 0 && colon < at) out = `${out.slice(0, colon + 1)}***${out.slice(at)}`;
  }
  const query = out.indexOf("?");
  if (query >= 0) {
    const params = out.slice(query + 1).split("&").map((param) => {
      const eq = param.indexOf("=");
      return eq >= 0 && /pass/i.test(param.slice(0, eq)) ? `${param.slice(0, eq + 1)}***` : param;
    });
    out = `${out.slice(0, query + 1)}${params.join("&")}`;
  }
  return out;
}
