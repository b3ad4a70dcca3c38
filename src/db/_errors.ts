/**
 * The typed errors both backends throw, with the same messages. They name ids
 * and names, never secrets or hashes.
 */
import { AlreadyExistsError, NotFoundError, VersionConflictError } from "./repository.js";

export function nodeTaken(node: { id: string; name: string }, idTaken: boolean): AlreadyExistsError {
  return idTaken
    ? new AlreadyExistsError(`node id "${node.id}" is already taken (node ids are unique; generate another)`)
    : new AlreadyExistsError(`node name "${node.name}" is already enrolled (decommission the old node or choose another name)`);
}

export function nodeNotFound(id: string): NotFoundError {
  return new NotFoundError(`node ${id} not found`);
}

export function credentialNodeNotFound(credentialId: string, nodeId: string): NotFoundError {
  return new NotFoundError(`cannot store node credential ${credentialId}: node ${nodeId} not found`);
}

export function versionConflict(node: { id: string; name: string; version: number }, expected: number): VersionConflictError {
  return new VersionConflictError(
    `node ${node.name} (${node.id}) changed since it was read: expected version ${expected}, it is now ${node.version}; read it again and retry`,
  );
}

export function taken(what: "node credential" | "operator token" | "bootstrap token", id: string): AlreadyExistsError {
  return new AlreadyExistsError(`${what} id "${id}" is already taken (ids are unique; generate another)`);
}
