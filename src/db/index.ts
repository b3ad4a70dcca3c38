/**
 * The control plane's state: `openDatabase(url)` gives the repository for a
 * SQLite file (the embedded default) or a PostgreSQL server (for a highly
 * available control plane). Each driver is loaded only when its URL is used.
 * Passwords never reach a message: URLs in errors have them as `***`.
 */
import type { PostgresOptions } from "./postgres.js";
import type { Repository } from "./repository.js";
export {
  type HealthCheckResult, type NewRollout, type NodeSystem, type OperationEvent, type OperationRecord, type OperationSpec, type OperationUpdate, type ReleaseRecord, type RolloutEvent,
  type RolloutState, type StoredRollout,
} from "./rollout-store.js";
import type { SqliteOptions } from "./sqlite.js";
import { parseDatabaseUrl, redactUrl } from "./_url.js";

export { DatabaseUrlError } from "./_url.js";
export { SchemaTooNewError, SCHEMA_VERSION } from "./migrations.js";
export {
  AlreadyExistsError, InvalidValueError, NotFoundError, VersionConflictError,
  type AuditEntry, type BootstrapToken, type Heartbeat, type NewNode, type NodeCredential, type NodeHeader, type NodeStatus, type NodeUpdate,
  type OperatorRole, type OperatorToken, type Repository,
} from "./repository.js";

export interface OpenOptions extends SqliteOptions, PostgresOptions {
  /** Bring the schema up to date before answering (default false: the caller runs `migrate()`). */
  migrate?: boolean;
}

/** The database could not be opened or reached; `url` has its password replaced by `***`. */
export class DatabaseOpenError extends Error {
  override readonly name = "DatabaseOpenError";
  constructor(readonly url: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The repository for `url`: `sqlite:PATH`, `sqlite:///abs/path`, a path ending
 * in `.db`, `:memory:`, or `postgres://…` / `postgresql://…`. Opening checks the
 * database can be reached; anything else is a DatabaseUrlError.
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Repository> {
  const target = parseDatabaseUrl(url);
  const where = target.kind === "sqlite" ? target.path : redactUrl(target.url);
  let repo: Repository;
  if (target.kind === "sqlite") {
    const { SqliteRepository } = await import("./sqlite.js");
    try {
      repo = SqliteRepository.open(target.path, options);
    } catch (error) {
      throw new DatabaseOpenError(where, `Cannot open the SQLite database ${where}: ${message(error)}`, { cause: error });
    }
  } else {
    const { PostgresRepository } = await import("./postgres.js");
    const pg = PostgresRepository.open(target.url, where, options);
    try {
      await pg.ping();
    } catch (error) {
      await pg.close();
      throw new DatabaseOpenError(where, `Cannot reach the PostgreSQL database ${where}: ${message(error)}`, { cause: error });
    }
    repo = pg;
  }
  if (options.migrate === true) {
    try {
      await repo.migrate();
    } catch (error) {
      await repo.close();
      throw error;
    }
  }
  return repo;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
