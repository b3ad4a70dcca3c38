/**
 * For apply tests: a test host prepared as a NixOS node that booted system A
 * (profile generation 1, boot default A, /run/booted-system and
 * /run/current-system A), a real agent process in it talking to the stand-in
 * control plane (_apply-server.ts), operations to offer, and readers of the
 * host's profile, boot default, running system and the agent's journal.
 */
import { readFile, readlink, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HostProcess, TestHost } from "../harness/hosts/index.js";
import { IGNORE_ALL_CHECKS, waitFor } from "./_harness.js";
import type { ApplyControlPlane } from "./_apply-server.js";

const BIN = fileURLToPath(new URL("../../../bin/hostplane.js", import.meta.url));

/** Copies A into the host, makes it generation 1 and the boot default, and boots it. */
export { bootInto } from "../harness/hosts/index.js";

export class HostAgent {
  proc: HostProcess | undefined;
  constructor(readonly host: TestHost, private readonly dir: string, private readonly url: string) {}

  async start(): Promise<void> {
    const inventory = join(this.dir, `${this.host.name}-workloads.json`);
    const contract = join(this.dir, "contract.json");
    await writeFile(inventory, "[]");
    await writeFile(contract, JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
    await writeFile(join(this.host.root, "state/bootstrap-token"), "hp_boot_test-token-not-checked", { mode: 0o600 });
    this.proc = this.host.spawn(process.execPath, [BIN, "agent", "--server", this.url, "--state-dir", "/var/lib/hostplane/agent",
      "--bootstrap-token-file", "/var/lib/hostplane/bootstrap-token", "--workloads", `file:${inventory}`, "--contract-config", contract,
      "--failed-units", "file:/run/hostplane-failed-units"]);
  }

  output(): string {
    return `${this.proc?.stdout() ?? ""}${this.proc?.stderr() ?? ""}`;
  }

  async stop(): Promise<void> {
    this.proc?.kill("SIGTERM");
    await this.proc?.exited;
  }
}

let epoch = 0;

export interface OpOptions {
  kind?: "upgrade" | "rollback";
  previous?: string;
  cacheUrl: string;
  publicKeys: string[];
  confirmTimeoutSeconds?: number;
  healthTimeoutSeconds?: number;
}

/** A new operation (a higher epoch than any before in this process). */
export function operation(id: string, target: string, o: OpOptions): Record<string, unknown> {
  epoch++;
  return {
    id, epoch, kind: o.kind ?? "upgrade", rollout: "ro_test", target, previous: o.previous ?? null, closureSize: null,
    cache: { url: o.cacheUrl, publicKeys: o.publicKeys },
    healthChecks: [{ kind: "command", path: "bin/health-check", args: [], timeoutSeconds: 10 }],
    confirmTimeoutSeconds: o.confirmTimeoutSeconds ?? 30, healthTimeoutSeconds: o.healthTimeoutSeconds ?? 4,
  };
}

/** What a host runs and will boot, and its system profile. */
export async function hostState(host: TestHost): Promise<{ current: string | null; booted: string | null; bootDefault: string | null; profile: string | null; generations: number[] }> {
  const link = (p: string) => readlink(join(host.root, p)).catch(() => null);
  const profileLink = await link("nix/var/nix/profiles/system");
  const generations = (await readdir(join(host.root, "nix/var/nix/profiles")).catch(() => [] as string[]))
    .map((n) => /^system-(\d+)-link$/.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
  return {
    current: await link("run/current-system"),
    booted: await link("run/booted-system"),
    bootDefault: await link("boot/default-system"),
    profile: profileLink === null ? null : await link(`nix/var/nix/profiles/${profileLink}`),
    generations,
  };
}

interface JournalLine { step: string; ok: boolean; detail?: string; at: string; data?: Record<string, unknown> }

/** The agent's journal of `op` on `host`: its steps, and whether the last line was torn. */
export async function journalSteps(host: TestHost, op: string): Promise<{ steps: string[]; torn: boolean; lines: JournalLine[] }> {
  const text = await readFile(join(host.root, `state/agent/operations/${op}.jsonl`), "utf8").catch(() => "");
  const parts = text.split("\n");
  const tail = parts.pop() ?? "";
  const lines = parts.map((l) => JSON.parse(l) as JournalLine);
  return { steps: lines.map((l) => l.step), torn: tail !== "", lines };
}

/** Waits until the control plane received `step` for `op`; the error shows the agent's output. */
export async function untilStep(cp: ApplyControlPlane, agent: HostAgent, op: string, step: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${agent.host.name}: event ${step} of ${op}`, () => cp.stepsOf(op).includes(step), timeoutMs, 100)
    .catch((err: Error) => { throw new Error(`${err.message}\nsteps so far: ${cp.stepsOf(op).join(", ")}\nagent output:\n${agent.output().slice(-4000)}`); });
}

/** Lines of the host's activation log (`TIME ACTION PATH`). */
export async function activations(host: TestHost): Promise<string[]> {
  return (await readFile(join(host.root, "run/hostplane-activations.log"), "utf8").catch(() => "")).split("\n").filter((l) => l !== "").map((l) => l.split(" ").slice(1).join(" "));
}
