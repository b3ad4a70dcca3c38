/**
 * One directory per fleet prefix, claimed atomically (mkdir) and stamped with
 * its owner's pid and start time: two live fleets never share a prefix, and a
 * sweep can tell a crashed run's leftovers from a fleet another test file is
 * using right now.
 */
import { readFileSync, readdirSync } from "node:fs";
import { chmod, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DIR_PREFIX = "hostplane-hosts-";

export function fleetDir(prefix: string): string {
  return join(tmpdir(), `${DIR_PREFIX}${prefix}`);
}

/** Prefixes that have a fleet directory under the temporary directory. */
export function fleetDirPrefixes(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX)).map((n) => n.slice(DIR_PREFIX.length));
}

interface Owner {
  pid: number;
  start: string;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, it names one process for the machine's uptime. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function ownerFile(dir: string): string {
  return join(dir, "owner.json");
}

/** The live owner of a fleet directory, or undefined when the directory is missing, unstamped or its owner is gone. */
export function liveOwner(prefix: string): number | undefined {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(ownerFile(fleetDir(prefix)), "utf8")) as Owner;
  } catch {
    return undefined;
  }
  return startTime(owner.pid) === owner.start ? owner.pid : undefined;
}

/**
 * Creates the fleet's directory with its owner stamp already inside (made aside, then renamed into
 * place), so no one ever sees it unstamped; fails with the owner when a live process has it.
 */
export async function claimFleetDir(prefix: string): Promise<string> {
  const dir = fleetDir(prefix);
  const staging = await mkdtemp(join(tmpdir(), `.${DIR_PREFIX}claim-`));
  const me: Owner = { pid: process.pid, start: startTime(process.pid) ?? "" };
  await writeFile(ownerFile(staging), `${JSON.stringify(me)}\n`);
  await chmod(staging, 0o755);
  try {
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST" && code !== "ENOTEMPTY") throw err;
    const text = await readFile(ownerFile(dir), "utf8").catch(() => "");
    throw new Error(`Cannot create test fleet '${prefix}': ${dir} exists${text ? ` (owner ${text.trim()})` : ""}; `
      + "another live test uses this prefix — give each test file its own prefix", { cause: err });
  }
  return dir;
}
