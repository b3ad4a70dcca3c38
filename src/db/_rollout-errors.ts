/** The rollout store's typed errors, with the same messages on both backends. */
import { AlreadyExistsError, NotFoundError, VersionConflictError } from "./repository.js";

export function releaseTaken(release: { id: string; name: string }, idTaken: boolean): AlreadyExistsError {
  return idTaken
    ? new AlreadyExistsError(`release id "${release.id}" is already taken (ids are unique; generate another)`)
    : new AlreadyExistsError(`a release named "${release.name}" already exists (release names are unique; give the manifest another name)`);
}

export function rolloutTaken(id: string): AlreadyExistsError {
  return new AlreadyExistsError(`rollout id "${id}" is already taken (ids are unique; generate another)`);
}

export function notFound(what: "release" | "rollout" | "operation" | "node", id: string): NotFoundError {
  return new NotFoundError(`${what} ${id} not found`);
}

export function staleVersion(what: "rollout" | "operation", id: string, expected: number, now: number): VersionConflictError {
  return new VersionConflictError(`${what} ${id} changed since it was read: expected version ${expected}, it is now ${now}; read it again and retry`);
}

/** Why an operation could not be stored: the database's uniqueness guarantees, in words. */
export function operationRefused(op: { id: string; node: string; rollout: string | null }, why: { idTaken: boolean; upgradeOfRollout: string | null; open: string | null }): AlreadyExistsError {
  if (why.idTaken) return new AlreadyExistsError(`operation id "${op.id}" is already taken (ids are unique; generate another)`);
  if (why.upgradeOfRollout !== null) {
    return new AlreadyExistsError(`node ${op.node} already has an upgrade operation (${why.upgradeOfRollout}) in rollout ${op.rollout ?? "?"}: an upgrade is applied at most once per node and rollout`);
  }
  return new AlreadyExistsError(`node ${op.node} already has an unfinished operation (${why.open ?? "?"}): one operation at a time per node`);
}
