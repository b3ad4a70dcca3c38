/**
 * Workload adapters: which microVMs this host runs. The default asks systemd
 * for the PaaS's `microvm@NAME.service` units; `file:PATH` reads a JSON array
 * a runtime writes (and tests plant). Adapters throw WorkloadError; the facts
 * collector turns it into an error fact rather than a crash. `stop` is used
 * only for the leftovers of a forced drain (leftovers.ts decides when).
 */
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import type { Workload } from "../fleet/node.js";
import { run } from "../process/run.js";

export interface WorkloadAdapter {
  /** Short name for logs: "systemd", "file:/run/…". */
  readonly name: string;
  list(): Promise<Workload[]>;
  /** Stops one workload (by the id list() gave); throws WorkloadError when it could not. */
  stop(id: string): Promise<void>;
}

export class WorkloadError extends Error {
  override readonly name = "WorkloadError";
}

const UNIT_RE = /^microvm@(.+)\.service$/;

/** `systemctl list-units --output=json` text → workloads (instance name, sub state). */
export function parseSystemdUnits(text: string): Workload[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WorkloadError(`systemctl list-units --output=json printed something that is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(data)) throw new WorkloadError("systemctl list-units --output=json printed JSON that is not an array");
  const out: Workload[] = [];
  for (const u of data as unknown[]) {
    const unit = (u as { unit?: unknown }).unit;
    const sub = (u as { sub?: unknown }).sub;
    if (typeof unit !== "string" || typeof sub !== "string") continue;
    const m = UNIT_RE.exec(unit);
    if (m) out.push({ id: m[1]!, state: sub });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Reads microvm@*.service units from systemd; `root` is for tests (where /run/systemd/system is looked up). */
export function systemdWorkloads(options: { root?: string; systemctl?: string; timeoutMs?: number; stopTimeoutMs?: number } = {}): WorkloadAdapter {
  const root = options.root ?? "";
  const cmd = options.systemctl ?? "systemctl";
  return {
    name: "systemd",
    async list() {
      // sd_booted(): systemd is PID 1 exactly when this directory exists.
      if (!existsSync(`${root}/run/systemd/system`)) throw new WorkloadError("systemd is not running as PID 1 here (no /run/systemd/system), so microvm@*.service units cannot be listed; run the agent on a systemd host or pass --workloads file:PATH");
      const args = ["list-units", "--type=service", "--all", "--no-pager", "--output=json", "microvm@*"];
      let r;
      try {
        r = await run(cmd, args, { timeoutMs: options.timeoutMs ?? 10_000, killDelayMs: 1000 });
      } catch (err) {
        throw new WorkloadError(`cannot run ${cmd}: ${(err as Error).message}`, { cause: err });
      }
      if (r.exitCode !== 0) throw new WorkloadError(`${cmd} ${args.join(" ")} ${r.timedOut ? "timed out" : `exited with ${r.exitCode ?? r.signal}`}: ${r.stderr.trim().slice(0, 500)}`);
      return parseSystemdUnits(r.stdout.toString("utf8"));
    },
    async stop(id) {
      // A microVM shuts its guest down on stop: allow it a while, then systemd's own stop timeout applies.
      const timeoutMs = options.stopTimeoutMs ?? 120_000;
      const args = ["stop", `microvm@${id}.service`];
      let r;
      try {
        r = await run(cmd, args, { timeoutMs, killDelayMs: 2000 });
      } catch (err) {
        throw new WorkloadError(`cannot run ${cmd}: ${(err as Error).message}`, { cause: err });
      }
      if (r.exitCode !== 0 || r.timedOut) throw new WorkloadError(`${cmd} ${args.join(" ")} ${r.timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${r.exitCode ?? r.signal}`}: ${r.stderr.trim().slice(0, 500)}`);
    },
  };
}

/** Reads a JSON array of `{ id, state }` from `path` on every call; stop removes the item (temp file + rename). */
export function fileWorkloads(path: string): WorkloadAdapter {
  const list = async (): Promise<Workload[]> => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      throw new WorkloadError(`cannot read the workload inventory ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new WorkloadError(`workload inventory ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(data)) throw new WorkloadError(`workload inventory ${path} must be a JSON array of {"id", "state"} objects`);
    return (data as unknown[]).map((w, i) => {
      const { id, state } = (w ?? {}) as { id?: unknown; state?: unknown };
      if (typeof id !== "string" || id === "" || typeof state !== "string") {
        throw new WorkloadError(`workload inventory ${path}: item ${i} needs a non-empty string "id" and a string "state", got ${JSON.stringify(w)?.slice(0, 200)}`);
      }
      return { id, state };
    });
  };
  return {
    name: `file:${path}`,
    list,
    async stop(id) {
      const left = (await list()).filter((w) => w.id !== id);
      const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await writeFile(temp, JSON.stringify(left) + "\n");
        await rename(temp, path);
      } catch (err) {
        await rm(temp, { force: true });
        throw new WorkloadError(`cannot rewrite the workload inventory ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
      }
    },
  };
}

/** `systemd` or `file:PATH` (from --workloads). */
export function workloadAdapter(spec: string): WorkloadAdapter | null {
  if (spec === "systemd") return systemdWorkloads();
  if (spec.startsWith("file:") && spec.length > 5) return fileWorkloads(spec.slice(5));
  return null;
}
