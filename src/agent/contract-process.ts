/**
 * The host-contract gather in a child process (`node contract-process.js
 * gather|check-config [CONFIG]`): the contract's checks, their config schema
 * (zod), the Nix trust audit (yaml) and the KVM probe (koffi) load there and
 * leave with it, instead of staying in the resident agent for the few hundred
 * milliseconds every 5 minutes they are used. The child prints a
 * ContractSnapshot as JSON; the parent runs it with a timeout as a value.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { run, type RunResult } from "../process/run.js";
import type { ContractSnapshot } from "./contract-report.js";

const SELF = fileURLToPath(import.meta.url);
/** The child's exit code for a config that cannot be read or is invalid. */
const CONFIG_EXIT = 2;

/** The child failed: `config` when the site config is unreadable or invalid (a usage error), else the run as a value. */
export class ContractChildError extends Error {
  override readonly name = "ContractChildError";
  constructor(message: string, readonly config: boolean, readonly result: RunResult) {
    super(message);
  }
}

async function runChild(mode: "gather" | "check-config", configFile: string | undefined, timeoutMs: number): Promise<Buffer> {
  const r = await run(process.execPath, [SELF, mode, ...(configFile === undefined ? [] : [configFile])], { timeoutMs, killDelayMs: 2000 });
  if (r.exitCode === 0 && !r.timedOut) return r.stdout;
  const why = r.timedOut ? `timed out after ${timeoutMs} ms` : r.exitCode === null ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`;
  const message = r.exitCode === CONFIG_EXIT ? r.stderr.trim() : `the host-contract gather (${mode}) ${why}: ${r.stderr.trim().slice(0, 1000)}`;
  throw new ContractChildError(message, r.exitCode === CONFIG_EXIT && !r.timedOut, r);
}

/** What the agent itself needs of the site config: the storage paths whose free space heartbeats report. */
export interface ContractConfigSummary {
  spacePaths: string[];
}

/** Reads and validates the site config in a child; throws ContractChildError (config: true) with the reason. */
export async function checkContractConfig(configFile: string | undefined, timeoutMs = 30_000): Promise<ContractConfigSummary> {
  const out = await runChild("check-config", configFile, timeoutMs);
  return JSON.parse(out.toString("utf8")) as ContractConfigSummary;
}

/** Gathers and evaluates this host's contract in a child process. */
export async function gatherContractInChild(configFile: string | undefined, timeoutMs = 120_000): Promise<ContractSnapshot> {
  const out = await runChild("gather", configFile, timeoutMs);
  return JSON.parse(out.toString("utf8")) as ContractSnapshot;
}

async function childMain(mode: string | undefined, configFile: string | undefined): Promise<number> {
  const { parseContractConfig, resolveContractConfig } = await import("../contract/index.js");
  let text: string | undefined;
  if (configFile !== undefined) {
    try {
      text = await readFile(configFile, "utf8");
    } catch (err) {
      process.stderr.write(`cannot read --contract-config ${configFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return CONFIG_EXIT;
    }
  }
  let config;
  try {
    config = resolveContractConfig(text === undefined || configFile === undefined ? {} : parseContractConfig(text, configFile));
  } catch (err) {
    if ((err as Error).name !== "ContractConfigError") throw err;
    process.stderr.write(`${(err as Error).message}\n`);
    return CONFIG_EXIT;
  }
  if (mode === "check-config") {
    const summary: ContractConfigSummary = { spacePaths: Object.values(config.paths).map((p) => p.path) };
    process.stdout.write(JSON.stringify(summary));
    return 0;
  }
  const { gatherContract } = await import("./contract-report.js");
  process.stdout.write(JSON.stringify(await gatherContract(config)));
  return 0;
}

// Run as a program (by runChild), not imported: the child's entry point.
if (process.argv[1] === SELF) {
  process.exitCode = await childMain(process.argv[2], process.argv[3]);
}
