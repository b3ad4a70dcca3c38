/**
 * Where the health step reads failed units: `systemd` asks systemctl (as
 * `systemctl --failed` shows them); `file:PATH` reads one unit per line from
 * a file (test hosts: the fixture system writes /run/hostplane-failed-units).
 */
import { readFile } from "node:fs/promises";
import { run } from "../../process/run.js";

export interface FailedUnits {
  readonly name: string;
  /** Names of failed units now; throws when they cannot be listed. */
  list(): Promise<string[]>;
}

export class FailedUnitsError extends Error {
  override readonly name = "FailedUnitsError";
}

function systemdFailedUnits(): FailedUnits {
  return {
    name: "systemd",
    async list() {
      const r = await run("systemctl", ["list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"], { timeoutMs: 30_000 })
        .catch((err: unknown) => { throw new FailedUnitsError(`cannot list failed units: ${(err as Error).message}`, { cause: err }); });
      if (r.exitCode !== 0) throw new FailedUnitsError(`cannot list failed units: systemctl exited ${r.exitCode ?? r.signal}${r.timedOut ? " (timed out)" : ""}: ${r.stderr.trim().slice(-500)}`);
      return r.stdout.toString("utf8").split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "").filter((u) => u !== "");
    },
  };
}

function fileFailedUnits(path: string): FailedUnits {
  return {
    name: `file:${path}`,
    async list() {
      try {
        return (await readFile(path, "utf8")).split("\n").map((l) => l.trim()).filter((l) => l !== "");
      } catch (err) {
        // No file: nothing failed (the activation writes it; a host that never activated has no failures recorded).
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw new FailedUnitsError(`cannot read failed units from ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
      }
    },
  };
}

/** `systemd` or `file:PATH` (from --failed-units); null for anything else. */
export function failedUnitsAdapter(spec: string): FailedUnits | null {
  if (spec === "systemd") return systemdFailedUnits();
  if (spec.startsWith("file:") && spec.length > 5) return fileFailedUnits(spec.slice(5));
  return null;
}
