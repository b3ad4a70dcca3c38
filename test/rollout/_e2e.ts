/**
 * For the end-to-end rollout suites (issue 6): test hosts booted into a
 * fixture system A, real agents enrolled with real bootstrap tokens against
 * a real server (in-process AgentTestServer or a `hostplane server` child),
 * release manifests over fixture systems, and readers that wait on the
 * server's view of a rollout and of a node's operations.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ApiClient } from "../../src/server/api-client.js";
import type { OperationDetail, RolloutDetail } from "../../src/server/rollout-schemas.js";
import type { RolloutPolicyInput } from "../../src/fleet/rollout-policy.js";
import type { HostProcess, TestHost } from "../harness/hosts/index.js";
import { IGNORE_ALL_CHECKS, waitFor } from "../agent/_harness.js";

const BIN = fileURLToPath(new URL("../../../bin/hostplane.js", import.meta.url));

export const SUCCESS_STEPS = ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "committed"];

/** A real agent in a test host, enrolled with a real bootstrap token; restartable (its state dir stays). */
export class E2eAgent {
  proc: HostProcess | undefined;
  private log = "";
  constructor(readonly host: TestHost, private readonly dir: string, private readonly url: () => string) {}

  async start(bootstrapToken?: string): Promise<void> {
    const inventory = join(this.dir, `${this.host.name}-workloads.json`);
    const contract = join(this.dir, "contract.json");
    await writeFile(inventory, "[]");
    await writeFile(contract, JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
    if (bootstrapToken !== undefined) await writeFile(join(this.host.root, "state/bootstrap-token"), bootstrapToken, { mode: 0o600 });
    this.log += `${this.proc?.stdout() ?? ""}${this.proc?.stderr() ?? ""}`;
    this.proc = this.host.spawn(process.execPath, [BIN, "agent", "--server", this.url(), "--state-dir", "/var/lib/hostplane/agent",
      "--bootstrap-token-file", "/var/lib/hostplane/bootstrap-token", "--workloads", `file:${inventory}`, "--contract-config", contract,
      "--failed-units", "file:/run/hostplane-failed-units"]);
  }

  /** Everything every run of this agent wrote (stdout and stderr). */
  output(): string {
    return `${this.log}${this.proc?.stdout() ?? ""}${this.proc?.stderr() ?? ""}`;
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    this.proc?.kill(signal);
    await this.proc?.exited;
  }
}

/** A release manifest: `role` for every microvm-host, `nodes` overriding it; every system checked by its bin/health-check. */
export function manifest(name: string, o: { role?: string; nodes?: Record<string, string> }): Record<string, unknown> {
  const target = (path: string) => ({ path, healthChecks: [{ kind: "command", path: "bin/health-check", timeoutSeconds: 10 }] });
  return {
    schema: "hostplane.release/v1", name, source: { commit: "4b1e0c2" },
    ...(o.role === undefined ? {} : { roles: { "microvm-host": target(o.role) } }),
    ...(o.nodes === undefined ? {} : { nodes: Object.fromEntries(Object.entries(o.nodes).map(([n, p]) => [n, target(p)])) }),
  };
}

/** Short bakes, no drains, every wave node at once: a rollout's pace set by the apply itself. */
export function fastPolicy(o: RolloutPolicyInput = {}): RolloutPolicyInput {
  return {
    canary: { count: 1, bakeSeconds: 1 }, waves: ["50%", "100%"], maxUnavailable: "100%", bakeSeconds: 1, drain: "never",
    confirmTimeoutSeconds: 30, healthTimeoutSeconds: 4, ...o,
  };
}

const DONE = new Set(["succeeded", "aborted"]);

/** Waits until the rollout is succeeded or aborted; the error shows its nodes and events. */
export async function untilFinished(client: ApiClient, id: string, timeoutMs = 120_000): Promise<RolloutDetail> {
  try {
    return await waitFor(`rollout ${id} finished`, async () => { const r = await client.getRollout(id); return DONE.has(r.status) ? r : null; }, timeoutMs, 250);
  } catch (err) {
    const r = await client.getRollout(id).catch(() => null);
    const ev = await client.rolloutEvents(id).catch(() => null);
    throw new Error(`${(err as Error).message}\nnodes: ${JSON.stringify(r?.nodes.map((n) => [n.name, n.outcome, n.reason, n.operation?.status]))}\nevents:\n${ev?.events.map((e) => `${e.at} ${e.type} ${e.node ?? ""} ${e.detail}`).join("\n") ?? ""}`, { cause: err });
  }
}

/** The node's operations, oldest first, with their steps. */
export async function operationsOf(client: ApiClient, node: string): Promise<OperationDetail[]> {
  return (await client.nodeOperations(node, { limit: 100 })).operations.reverse();
}

/** Waits until the server answers (a client's pooled connection to a stopped server fails once). */
export async function untilReachable(client: ApiClient): Promise<void> {
  await waitFor("the server answering", async () => (await client.listReleases()).releases, 10_000, 100);
}

export const stepsOf = (op: OperationDetail | undefined): string[] => op?.events.map((e) => e.step) ?? [];

/** The rollout's events, oldest first. */
export async function rolloutEvents(client: ApiClient, id: string): Promise<{ type: string; node: string | null; at: string; detail: string; data: unknown }[]> {
  return (await client.rolloutEvents(id)).events;
}
