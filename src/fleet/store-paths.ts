/**
 * The shapes of paths releases and operations carry, in one place for the
 * server's schemas (release.ts, zod) and the agent's hand-written answer
 * checks (src/agent/wire.ts), which must not load zod.
 */

/** `/nix/store/<32 nix32 chars>-<name>`, as Nix accepts them. */
export const STORE_PATH_RE = /^\/nix\/store\/[0-9abcdfghijklmnpqrsvwxyz]{32}-[0-9A-Za-z+\-._?=]{1,211}$/;

/** A relative path inside a system closure, without `..` (a health check command: what runs as root must be in the signed closure). */
export const CLOSURE_PATH_RE = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._+/-]+$/;
