/**
 * The schema, as numbered migrations with SQL per dialect. Each backend's
 * `migrate()` reads `schema_migrations`, asks `pendingMigrations` what to run
 * and runs it in one transaction (PostgreSQL under an advisory lock, SQLite
 * under BEGIN IMMEDIATE), so two servers starting at once apply each migration
 * once. A database whose schema is newer than this code is refused.
 *
 * Both dialects keep timestamps as ISO-8601 text (`toISOString()`, so text
 * order is time order) and compare text by code point (PostgreSQL columns are
 * COLLATE "C", SQLite's BINARY), so both return the same records in the same
 * order. A node's facts (kilobytes) live in node_facts, beside it: every
 * heartbeat rewrites the node's row, and SQLite rewrites a row whole, overflow
 * pages and all (with 14 KB facts inline, heartbeats without facts ran at half
 * the rate). Never edit a released migration: add the next one.
 */

export type Dialect = "sqlite" | "postgres";

export interface Migration {
  version: number;
  name: string;
  sql: Record<Dialect, string>;
}

const SQLITE_1 = `
CREATE TABLE nodes (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  role TEXT NOT NULL,
  labels TEXT NOT NULL,
  enrolled_at TEXT NOT NULL,
  last_heartbeat_at TEXT,
  contract TEXT,
  drain TEXT,
  version INTEGER NOT NULL CHECK (version >= 1),
  updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX nodes_by_name ON nodes (name);

CREATE TABLE node_facts (
  node_id TEXT PRIMARY KEY NOT NULL REFERENCES nodes (id),
  facts TEXT NOT NULL,
  facts_hash TEXT NOT NULL
) STRICT;

CREATE TABLE node_credentials (
  id TEXT PRIMARY KEY NOT NULL,
  node_id TEXT NOT NULL REFERENCES nodes (id),
  secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64 AND secret_hash NOT GLOB '*[^0-9a-f]*'),
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
CREATE INDEX node_credentials_by_node ON node_credentials (node_id);

CREATE TABLE operator_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64 AND secret_hash NOT GLOB '*[^0-9a-f]*'),
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
) STRICT;

CREATE TABLE bootstrap_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64 AND secret_hash NOT GLOB '*[^0-9a-f]*'),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  uses_left INTEGER NOT NULL CHECK (uses_left >= 0),
  labels TEXT NOT NULL,
  role TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT,
  after TEXT
) STRICT;
CREATE INDEX audit_log_by_target ON audit_log (target, id);
`;

// fillfactor leaves room in each page so a heartbeat's UPDATE (no indexed column changes) stays a HOT update.
const POSTGRES_1 = `
CREATE TABLE nodes (
  id text COLLATE "C" PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  state text COLLATE "C" NOT NULL,
  role text COLLATE "C" NOT NULL,
  labels jsonb NOT NULL,
  enrolled_at text COLLATE "C" NOT NULL,
  last_heartbeat_at text COLLATE "C",
  contract jsonb,
  drain jsonb,
  version integer NOT NULL CHECK (version >= 1),
  updated_at text COLLATE "C" NOT NULL
) WITH (fillfactor = 80);
CREATE UNIQUE INDEX nodes_by_name ON nodes (name);

CREATE TABLE node_facts (
  node_id text COLLATE "C" PRIMARY KEY REFERENCES nodes (id),
  facts jsonb NOT NULL,
  facts_hash text COLLATE "C" NOT NULL
);

CREATE TABLE node_credentials (
  id text COLLATE "C" PRIMARY KEY,
  node_id text COLLATE "C" NOT NULL REFERENCES nodes (id),
  secret_hash text COLLATE "C" NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  created_at text COLLATE "C" NOT NULL,
  revoked_at text COLLATE "C"
);
CREATE INDEX node_credentials_by_node ON node_credentials (node_id);

CREATE TABLE operator_tokens (
  id text COLLATE "C" PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  role text COLLATE "C" NOT NULL,
  secret_hash text COLLATE "C" NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C",
  revoked_at text COLLATE "C"
);

CREATE TABLE bootstrap_tokens (
  id text COLLATE "C" PRIMARY KEY,
  secret_hash text COLLATE "C" NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  created_at text COLLATE "C" NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  uses_left integer NOT NULL CHECK (uses_left >= 0),
  labels jsonb NOT NULL,
  role text COLLATE "C" NOT NULL
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at text COLLATE "C" NOT NULL,
  actor text COLLATE "C" NOT NULL,
  action text COLLATE "C" NOT NULL,
  target text COLLATE "C" NOT NULL,
  before jsonb,
  after jsonb
);
CREATE INDEX audit_log_by_target ON audit_log (target, id);
`;

// Releases, rollouts and operations (docs/ops/upgrades-and-rollback.md). IF NOT EXISTS: safe to run again by hand.
// The partial unique indexes are the "never applied twice" guarantee (one upgrade per node and rollout)
// and "one operation at a time per node", held by the database whatever the control plane does.
const SQLITE_2 = `
CREATE TABLE IF NOT EXISTS releases (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  manifest TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS releases_by_name ON releases (name);

CREATE TABLE IF NOT EXISTS rollouts (
  id TEXT PRIMARY KEY NOT NULL,
  release_id TEXT NOT NULL REFERENCES releases (id),
  status TEXT NOT NULL,
  policy TEXT NOT NULL,
  targets TEXT NOT NULL,
  waves TEXT NOT NULL,
  canary_wave INTEGER NOT NULL,
  wave INTEGER NOT NULL,
  bake_until TEXT,
  skipped TEXT NOT NULL,
  failed TEXT NOT NULL,
  drained TEXT NOT NULL,
  abort_reason TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1)
) STRICT;
CREATE INDEX IF NOT EXISTS rollouts_by_status ON rollouts (status);

CREATE TABLE IF NOT EXISTS rollout_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  rollout_id TEXT NOT NULL REFERENCES rollouts (id),
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  node TEXT,
  detail TEXT NOT NULL,
  data TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS rollout_events_by_rollout ON rollout_events (rollout_id, seq);

CREATE TABLE IF NOT EXISTS node_systems (
  node_id TEXT PRIMARY KEY NOT NULL REFERENCES nodes (id),
  operation_epoch INTEGER NOT NULL CHECK (operation_epoch >= 0),
  desired_system TEXT,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY NOT NULL,
  node_id TEXT NOT NULL REFERENCES nodes (id),
  node_name TEXT NOT NULL,
  rollout_id TEXT REFERENCES rollouts (id),
  kind TEXT NOT NULL CHECK (kind IN ('upgrade', 'rollback')),
  epoch INTEGER NOT NULL CHECK (epoch >= 1),
  target TEXT NOT NULL,
  previous TEXT,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  error TEXT,
  decision TEXT,
  decision_reason TEXT,
  healthy INTEGER,
  checks TEXT,
  withdrawn INTEGER NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS operations_one_upgrade_per_rollout ON operations (rollout_id, node_id) WHERE kind = 'upgrade';
CREATE UNIQUE INDEX IF NOT EXISTS operations_one_open_per_node ON operations (node_id) WHERE status IN ('pending', 'running', 'confirming', 'confirmed');
CREATE UNIQUE INDEX IF NOT EXISTS operations_by_node_epoch ON operations (node_id, epoch);
CREATE INDEX IF NOT EXISTS operations_by_rollout ON operations (rollout_id, created_at);

CREATE TABLE IF NOT EXISTS operation_events (
  operation_id TEXT NOT NULL REFERENCES operations (id),
  seq INTEGER NOT NULL,
  step TEXT NOT NULL,
  ok INTEGER NOT NULL,
  at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  detail TEXT,
  data TEXT,
  PRIMARY KEY (operation_id, seq)
) STRICT;
`;

const POSTGRES_2 = `
CREATE TABLE IF NOT EXISTS releases (
  id text COLLATE "C" PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  manifest jsonb NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS releases_by_name ON releases (name);

CREATE TABLE IF NOT EXISTS rollouts (
  id text COLLATE "C" PRIMARY KEY,
  release_id text COLLATE "C" NOT NULL REFERENCES releases (id),
  status text COLLATE "C" NOT NULL,
  policy jsonb NOT NULL,
  targets jsonb NOT NULL,
  waves jsonb NOT NULL,
  canary_wave integer NOT NULL,
  wave integer NOT NULL,
  bake_until text COLLATE "C",
  skipped jsonb NOT NULL,
  failed jsonb NOT NULL,
  drained jsonb NOT NULL,
  abort_reason text COLLATE "C",
  created_by text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version >= 1)
);
CREATE INDEX IF NOT EXISTS rollouts_by_status ON rollouts (status);

CREATE TABLE IF NOT EXISTS rollout_events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rollout_id text COLLATE "C" NOT NULL REFERENCES rollouts (id),
  at text COLLATE "C" NOT NULL,
  type text COLLATE "C" NOT NULL,
  node text COLLATE "C",
  detail text COLLATE "C" NOT NULL,
  data jsonb
);
CREATE INDEX IF NOT EXISTS rollout_events_by_rollout ON rollout_events (rollout_id, seq);

CREATE TABLE IF NOT EXISTS node_systems (
  node_id text COLLATE "C" PRIMARY KEY REFERENCES nodes (id),
  operation_epoch integer NOT NULL CHECK (operation_epoch >= 0),
  desired_system text COLLATE "C",
  updated_at text COLLATE "C" NOT NULL
);

CREATE TABLE IF NOT EXISTS operations (
  id text COLLATE "C" PRIMARY KEY,
  node_id text COLLATE "C" NOT NULL REFERENCES nodes (id),
  node_name text COLLATE "C" NOT NULL,
  rollout_id text COLLATE "C" REFERENCES rollouts (id),
  kind text COLLATE "C" NOT NULL CHECK (kind IN ('upgrade', 'rollback')),
  epoch integer NOT NULL CHECK (epoch >= 1),
  target text COLLATE "C" NOT NULL,
  previous text COLLATE "C",
  spec jsonb NOT NULL,
  status text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  error text COLLATE "C",
  decision text COLLATE "C",
  decision_reason text COLLATE "C",
  healthy boolean,
  checks jsonb,
  withdrawn boolean NOT NULL,
  version integer NOT NULL CHECK (version >= 1)
);
CREATE UNIQUE INDEX IF NOT EXISTS operations_one_upgrade_per_rollout ON operations (rollout_id, node_id) WHERE kind = 'upgrade';
CREATE UNIQUE INDEX IF NOT EXISTS operations_one_open_per_node ON operations (node_id) WHERE status IN ('pending', 'running', 'confirming', 'confirmed');
CREATE UNIQUE INDEX IF NOT EXISTS operations_by_node_epoch ON operations (node_id, epoch);
CREATE INDEX IF NOT EXISTS operations_by_rollout ON operations (rollout_id, created_at);

CREATE TABLE IF NOT EXISTS operation_events (
  operation_id text COLLATE "C" NOT NULL REFERENCES operations (id),
  seq integer NOT NULL,
  step text COLLATE "C" NOT NULL,
  ok boolean NOT NULL,
  at text COLLATE "C" NOT NULL,
  received_at text COLLATE "C" NOT NULL,
  detail text COLLATE "C",
  data jsonb,
  PRIMARY KEY (operation_id, seq)
);
`;

// What drift needs of a node's facts, as columns beside them: counting drift over the fleet (/metrics, GET /v1/drift)
// then reads a few short strings per node instead of parsing every node's facts (kilobytes each, 10,000 nodes).
const SQLITE_3 = `
ALTER TABLE node_facts ADD COLUMN current_system TEXT;
ALTER TABLE node_facts ADD COLUMN booted_system TEXT;
ALTER TABLE node_facts ADD COLUMN boot TEXT;
UPDATE node_facts SET current_system = json_extract(facts, '$.currentSystem'), booted_system = json_extract(facts, '$.bootedSystem'),
  boot = json_extract(facts, '$.boot');
`;

const POSTGRES_3 = `
ALTER TABLE node_facts ADD COLUMN IF NOT EXISTS current_system text COLLATE "C";
ALTER TABLE node_facts ADD COLUMN IF NOT EXISTS booted_system text COLLATE "C";
ALTER TABLE node_facts ADD COLUMN IF NOT EXISTS boot jsonb;
UPDATE node_facts SET current_system = facts->>'currentSystem', booted_system = facts->>'bootedSystem', boot = NULLIF(facts->'boot', 'null'::jsonb);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "nodes, credentials, tokens and the audit log", sql: { sqlite: SQLITE_1, postgres: POSTGRES_1 } },
  { version: 2, name: "releases, rollouts, operations and their event logs; node operation epochs and desired systems", sql: { sqlite: SQLITE_2, postgres: POSTGRES_2 } },
  { version: 3, name: "the current and booted systems and their kernels beside each node's facts (drift without parsing facts)", sql: { sqlite: SQLITE_3, postgres: POSTGRES_3 } },
];

/** The newest schema this code knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Statement creating the bookkeeping table (the same in both dialects). */
export const SCHEMA_MIGRATIONS_TABLE =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)";

/** The database was migrated by a newer hostplane: running older code against it could corrupt it. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  constructor(readonly databaseVersion: number, readonly codeVersion: number, readonly where: string) {
    super(
      `The database ${where} has schema version ${databaseVersion}, newer than this hostplane knows (${codeVersion}): ` +
        "run the hostplane release that migrated it (or a newer one); an older release must not write to it",
    );
  }
}

/** The migrations still to run, in order, given the versions already applied; throws SchemaTooNewError. */
export function pendingMigrations(applied: readonly number[], where: string): Migration[] {
  const newest = Math.max(0, ...applied);
  if (newest > SCHEMA_VERSION) throw new SchemaTooNewError(newest, SCHEMA_VERSION, where);
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
}
