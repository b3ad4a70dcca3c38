/**
 * Issuing and revoking operator and bootstrap tokens, with their audit
 * entries, in one place: the HTTP API and the CLI's direct-database mode
 * (how the first admin token is made on the server machine) both call these.
 * The clear token is returned once and goes nowhere else.
 */
import type { OperatorRole, OperatorToken, Repository } from "../db/index.js";
import type { NodeRole } from "../fleet/node.js";
import { newCredential } from "./credentials.js";
import type { BootstrapCreated, TokenCreated, TokenInfo } from "./schemas.js";

/** Who does it and when (ISO time). */
export interface Issuer {
  actor: string;
  at: string;
}

/** A token as listed: never the secret or its hash. */
export function tokenInfo(t: OperatorToken): TokenInfo {
  return { id: t.id, name: t.name, role: t.role, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: t.revokedAt };
}

export async function issueOperatorToken(
  repo: Repository,
  input: { name: string; role: OperatorRole; expiresAt: string | null },
  by: Issuer,
): Promise<TokenCreated> {
  const cred = newCredential("op");
  const record = { id: cred.id, name: input.name, role: input.role, secretHash: cred.secretHash, createdAt: by.at, expiresAt: input.expiresAt };
  await repo.transaction(async (tx) => {
    await tx.createOperatorToken(record);
    await tx.appendAudit({ at: by.at, actor: by.actor, action: "token.create", target: `token:${cred.id}`, before: null, after: { name: input.name, role: input.role, expiresAt: input.expiresAt } });
  });
  return { ...tokenInfo({ ...record, revokedAt: null }), token: cred.token };
}

/** Revoke a token; false when there is no such token (or it was revoked already). */
export async function revokeOperatorToken(repo: Repository, id: string, by: Issuer): Promise<boolean> {
  return repo.transaction(async (tx) => {
    const before = await tx.getOperatorToken(id);
    if (!before || before.revokedAt !== null) return false;
    if (!(await tx.revokeOperatorToken(id, by.at))) return false;
    await tx.appendAudit({ at: by.at, actor: by.actor, action: "token.revoke", target: `token:${id}`, before: { name: before.name, role: before.role, revokedAt: null }, after: { name: before.name, role: before.role, revokedAt: by.at } });
    return true;
  });
}

export async function issueBootstrapToken(
  repo: Repository,
  input: { expiresAt: string; uses: number; labels: Record<string, string>; role: NodeRole },
  by: Issuer,
): Promise<BootstrapCreated> {
  const cred = newCredential("boot");
  await repo.transaction(async (tx) => {
    await tx.createBootstrapToken({ id: cred.id, secretHash: cred.secretHash, createdAt: by.at, createdBy: by.actor, expiresAt: input.expiresAt, usesLeft: input.uses, labels: input.labels, role: input.role });
    await tx.appendAudit({ at: by.at, actor: by.actor, action: "bootstrap-token.create", target: `bootstrap-token:${cred.id}`, before: null, after: { expiresAt: input.expiresAt, uses: input.uses, labels: input.labels, role: input.role } });
  });
  return { token: cred.token, id: cred.id, expiresAt: input.expiresAt, uses: input.uses, role: input.role, labels: input.labels };
}
