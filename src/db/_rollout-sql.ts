/**
 * The statements of the rollout store (rollout-store.ts), per dialect, with
 * the same keys; each backend adds them to its own statement table. Parameter
 * orders follow _rollout-rows.ts. PostgreSQL casts every non-text parameter
 * (an INSERT … SELECT resolves untyped parameters as text).
 */

const OPEN = "('pending', 'running', 'confirming', 'confirmed')";

export const SQLITE_ROLLOUT_SQL = {
  insertRelease: "INSERT INTO releases (id, name, manifest, created_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  releaseById: "SELECT * FROM releases WHERE id = ?",
  releaseByName: "SELECT * FROM releases WHERE name = ?",
  // -1: no limit.
  releases: "SELECT * FROM releases ORDER BY created_at DESC, id DESC LIMIT ?",

  // id, release_id, targets, waves, canary_wave, created_by, created_at, state × 8, updated_at, release_id again
  insertRollout:
    "INSERT INTO rollouts (id, release_id, targets, waves, canary_wave, created_by, created_at, status, policy, wave, bake_until, skipped, failed, drained, abort_reason, updated_at, version) " +
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1 WHERE EXISTS (SELECT 1 FROM releases WHERE id = ?) ON CONFLICT DO NOTHING RETURNING *",
  rolloutById: "SELECT * FROM rollouts WHERE id = ?",
  rollouts: "SELECT * FROM rollouts ORDER BY created_at DESC, id DESC LIMIT ?",
  rolloutsInStatuses: "SELECT * FROM rollouts WHERE status IN (SELECT value FROM json_each(?)) ORDER BY created_at DESC, id DESC LIMIT ?",
  updateRollout:
    "UPDATE rollouts SET status = ?, policy = ?, wave = ?, bake_until = ?, skipped = ?, failed = ?, drained = ?, abort_reason = ?, " +
    "updated_at = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING *",
  insertRolloutEvent: "INSERT INTO rollout_events (rollout_id, at, type, node, detail, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
  rolloutEvents: "SELECT * FROM rollout_events WHERE rollout_id = ? AND seq > ? ORDER BY seq LIMIT ?",

  // node_id, at, node_id again
  takeEpoch:
    "INSERT INTO node_systems (node_id, operation_epoch, desired_system, updated_at) SELECT ?, 1, NULL, ? WHERE EXISTS (SELECT 1 FROM nodes WHERE id = ?) " +
    "ON CONFLICT (node_id) DO UPDATE SET operation_epoch = node_systems.operation_epoch + 1, updated_at = excluded.updated_at RETURNING operation_epoch",
  // the new operation's columns, epoch, updated_at
  insertOperation:
    "INSERT INTO operations (id, node_id, node_name, rollout_id, kind, target, previous, spec, created_at, epoch, updated_at, status, withdrawn, version) " +
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 1) ON CONFLICT DO NOTHING RETURNING *",
  operationById: "SELECT * FROM operations WHERE id = ?",
  upgradeOfRollout: "SELECT id FROM operations WHERE rollout_id = ? AND node_id = ? AND kind = 'upgrade'",
  openOperationOfNode: `SELECT id FROM operations WHERE node_id = ? AND status IN ${OPEN}`,
  nodeExists: "SELECT id FROM nodes WHERE id = ?",
  updateOperation:
    "UPDATE operations SET status = CASE WHEN ? = 1 THEN ? ELSE status END, error = CASE WHEN ? = 1 THEN ? ELSE error END, " +
    "decision = CASE WHEN ? = 1 THEN ? ELSE decision END, decision_reason = CASE WHEN ? = 1 THEN ? ELSE decision_reason END, " +
    "healthy = CASE WHEN ? = 1 THEN ? ELSE healthy END, checks = CASE WHEN ? = 1 THEN ? ELSE checks END, " +
    "withdrawn = CASE WHEN ? = 1 THEN ? ELSE withdrawn END, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING *",
  rolloutOperations: "SELECT * FROM operations WHERE rollout_id = ? ORDER BY created_at, id",
  nodeOperations: "SELECT * FROM operations WHERE node_id = ? AND epoch < ? ORDER BY epoch DESC LIMIT ?",
  openOperations: `SELECT * FROM operations WHERE status IN ${OPEN} ORDER BY node_id`,
  // step, ok, at, received_at, detail, data, operation id
  insertOperationEvent:
    "INSERT INTO operation_events (operation_id, seq, step, ok, at, received_at, detail, data) " +
    "SELECT o.id, (SELECT coalesce(max(seq), 0) + 1 FROM operation_events WHERE operation_id = o.id), ?, ?, ?, ?, ?, ? FROM operations o WHERE o.id = ? RETURNING *",
  operationEvents: "SELECT * FROM operation_events WHERE operation_id IN (SELECT value FROM json_each(?)) ORDER BY operation_id, seq",

  nodeSystem: "SELECT * FROM node_systems WHERE node_id = ?",
  nodeSystems: "SELECT * FROM node_systems ORDER BY node_id",
  // node_id, desired_system, updated_at, node_id again, only-if-unset
  setDesiredSystem:
    "INSERT INTO node_systems (node_id, operation_epoch, desired_system, updated_at) SELECT ?, 0, ?, ? WHERE EXISTS (SELECT 1 FROM nodes WHERE id = ?) " +
    "ON CONFLICT (node_id) DO UPDATE SET desired_system = excluded.desired_system, updated_at = excluded.updated_at " +
    "WHERE node_systems.desired_system IS NOT excluded.desired_system AND (? = 0 OR node_systems.desired_system IS NULL)",
} as const;

export const POSTGRES_ROLLOUT_SQL: Record<keyof typeof SQLITE_ROLLOUT_SQL, string> = {
  insertRelease: "INSERT INTO releases (id, name, manifest, created_by, created_at) VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT DO NOTHING",
  releaseById: "SELECT * FROM releases WHERE id = $1",
  releaseByName: "SELECT * FROM releases WHERE name = $1",
  // LIMIT NULL: no limit.
  releases: "SELECT * FROM releases ORDER BY created_at DESC, id DESC LIMIT $1",

  insertRollout:
    "INSERT INTO rollouts (id, release_id, targets, waves, canary_wave, created_by, created_at, status, policy, wave, bake_until, skipped, failed, drained, abort_reason, updated_at, version) " +
    "SELECT $1, $2, $3::jsonb, $4::jsonb, $5::int, $6, $7, $8, $9::jsonb, $10::int, $11, $12::jsonb, $13::jsonb, $14::jsonb, $15, $16, 1 " +
    "WHERE EXISTS (SELECT 1 FROM releases WHERE id = $17) ON CONFLICT DO NOTHING RETURNING *",
  rolloutById: "SELECT * FROM rollouts WHERE id = $1",
  rollouts: "SELECT * FROM rollouts ORDER BY created_at DESC, id DESC LIMIT $1",
  rolloutsInStatuses: "SELECT * FROM rollouts WHERE status = ANY($1::text[]) ORDER BY created_at DESC, id DESC LIMIT $2",
  updateRollout:
    "UPDATE rollouts SET status = $1, policy = $2::jsonb, wave = $3::int, bake_until = $4, skipped = $5::jsonb, failed = $6::jsonb, drained = $7::jsonb, " +
    "abort_reason = $8, updated_at = $9, version = version + 1 WHERE id = $10 AND version = $11 RETURNING *",
  insertRolloutEvent: "INSERT INTO rollout_events (rollout_id, at, type, node, detail, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *",
  rolloutEvents: "SELECT * FROM rollout_events WHERE rollout_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",

  takeEpoch:
    "INSERT INTO node_systems (node_id, operation_epoch, desired_system, updated_at) SELECT $1, 1, NULL, $2 WHERE EXISTS (SELECT 1 FROM nodes WHERE id = $3) " +
    "ON CONFLICT (node_id) DO UPDATE SET operation_epoch = node_systems.operation_epoch + 1, updated_at = excluded.updated_at RETURNING operation_epoch",
  insertOperation:
    "INSERT INTO operations (id, node_id, node_name, rollout_id, kind, target, previous, spec, created_at, epoch, updated_at, status, withdrawn, version) " +
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::int, $11, 'pending', false, 1) ON CONFLICT DO NOTHING RETURNING *",
  operationById: "SELECT * FROM operations WHERE id = $1",
  upgradeOfRollout: "SELECT id FROM operations WHERE rollout_id = $1 AND node_id = $2 AND kind = 'upgrade'",
  openOperationOfNode: `SELECT id FROM operations WHERE node_id = $1 AND status IN ${OPEN}`,
  nodeExists: "SELECT id FROM nodes WHERE id = $1",
  updateOperation:
    "UPDATE operations SET status = CASE WHEN $1::int = 1 THEN $2 ELSE status END, error = CASE WHEN $3::int = 1 THEN $4 ELSE error END, " +
    "decision = CASE WHEN $5::int = 1 THEN $6 ELSE decision END, decision_reason = CASE WHEN $7::int = 1 THEN $8 ELSE decision_reason END, " +
    "healthy = CASE WHEN $9::int = 1 THEN $10::boolean ELSE healthy END, checks = CASE WHEN $11::int = 1 THEN $12::jsonb ELSE checks END, " +
    "withdrawn = CASE WHEN $13::int = 1 THEN $14::boolean ELSE withdrawn END, updated_at = $15, version = version + 1 WHERE id = $16 AND version = $17 RETURNING *",
  rolloutOperations: "SELECT * FROM operations WHERE rollout_id = $1 ORDER BY created_at, id",
  nodeOperations: "SELECT * FROM operations WHERE node_id = $1 AND epoch < $2 ORDER BY epoch DESC LIMIT $3",
  openOperations: `SELECT * FROM operations WHERE status IN ${OPEN} ORDER BY node_id`,
  insertOperationEvent:
    "INSERT INTO operation_events (operation_id, seq, step, ok, at, received_at, detail, data) " +
    "SELECT o.id, (SELECT coalesce(max(seq), 0) + 1 FROM operation_events WHERE operation_id = o.id), $1, $2::boolean, $3, $4, $5, $6::jsonb FROM operations o WHERE o.id = $7 RETURNING *",
  operationEvents: "SELECT * FROM operation_events WHERE operation_id = ANY($1::text[]) ORDER BY operation_id, seq",

  nodeSystem: "SELECT * FROM node_systems WHERE node_id = $1",
  nodeSystems: "SELECT * FROM node_systems ORDER BY node_id",
  setDesiredSystem:
    "INSERT INTO node_systems (node_id, operation_epoch, desired_system, updated_at) SELECT $1, 0, $2, $3 WHERE EXISTS (SELECT 1 FROM nodes WHERE id = $1) " +
    "ON CONFLICT (node_id) DO UPDATE SET desired_system = excluded.desired_system, updated_at = excluded.updated_at " +
    "WHERE node_systems.desired_system IS DISTINCT FROM excluded.desired_system AND ($4::int = 0 OR node_systems.desired_system IS NULL)",
};
