/**
 * Applies one operation as a step machine (docs/ops/upgrades-and-rollback.md,
 * "The apply protocol"): preflight, fetch, activate (`test`), health,
 * confirm, then commit (profile + `boot`) or roll back (previous `test`).
 * Every step is journaled (fsynced) before the next is acted on, and reported
 * to the server. The decisions are pure functions (preflight.ts, steps.ts);
 * the I/O is behind the ports, so the machine runs the same on a host and in
 * unit tests with fakes. A journal left by a crash is resumed by `recover`.
 */
import { ApiProblemError, type OperationApi } from "../api.js";
import type { Sleep } from "../backoff.js";
import type { AgentLog } from "../log.js";
import type { Operation } from "../wire.js";
import { checkHealth, type HealthReport } from "./health.js";
import type { FailedUnits } from "./failed-units.js";
import { switchOk, type HostPort, type SwitchResult } from "./host.js";
import type { Journal, JournalEntry, JournalRead } from "./journal.js";
import type { NixPort } from "./nix-port.js";
import { decideSpace, parseKeys, unsignedPaths, type CachePath } from "./preflight.js";
import type { Delivery, EventReporter } from "./reporter.js";
import { isStale } from "./reporter.js";
import { isWireStep, recoveryFor, type JournalStep } from "./steps.js";

export interface ApplyPorts {
  nix: NixPort;
  host: HostPort;
  units: FailedUnits;
  /** The agent's latest host-contract snapshot. */
  contract: () => Promise<{ ok: boolean; failing: readonly string[] }>;
  api: OperationApi;
  reporter: EventReporter;
  journal: Journal;
  log: AgentLog;
  now: () => number;
  sleep: Sleep;
  random?: () => number;
  /** Has the agent's facts (with the system now running) reach the server; called before an outcome that changed it is reported. */
  reportFacts?: () => Promise<void>;
}

export interface ApplyContext {
  nodeId: string;
  /** Where the fetched system's GC root lives until the operation ends. */
  rootDir: string;
  signal: AbortSignal;
}

export type Outcome = "committed" | "rolled-back" | "failed" | "stopped";

const kernelLike = (path: string) => /^\/nix\/store\/[0-9a-z]{32}-(?:linux-|initrd)/.test(path);

/** The ongoing operation: its journal, reporting and what the steps learned. */
class Run {
  /** Set once activation may have changed the running system: reports no longer block, stale means roll back. */
  private activated = false;
  private stale = false;

  constructor(readonly op: Operation, readonly previous: string | null, private readonly p: ApplyPorts, private readonly c: ApplyContext) {}

  get rootLink(): string { return `${this.c.rootDir}/${this.op.id}.gcroot`; }
  get wasStale(): boolean { return this.stale; }
  markActivated(): void { this.activated = true; }

  /** Journals a step; a wire step is also reported (awaited until activation). Returns how the report went. */
  async step(step: JournalStep, ok: boolean, extra: { detail?: string; data?: Record<string, unknown>; op?: Operation } = {}): Promise<Delivery | null> {
    const entry: JournalEntry = { step, at: new Date(this.p.now()).toISOString(), epoch: this.op.epoch, ok, ...extra };
    await this.p.journal.append(this.op.id, entry);
    this.p.log(ok ? "info" : "warn", `operation ${step}`, { operation: this.op.id, epoch: this.op.epoch, ok, ...(extra.detail === undefined ? {} : { detail: extra.detail }) });
    return isWireStep(step) ? this.report(entry) : null;
  }

  report(entry: JournalEntry): Promise<Delivery> | null {
    // The journal's copy of the operation stays on the node.
    const sent = this.p.reporter.send(this.op.id, {
      epoch: entry.epoch, step: entry.step, ok: entry.ok, at: entry.at,
      ...(entry.detail === undefined ? {} : { detail: entry.detail }), ...(entry.data === undefined ? {} : { data: entry.data }),
    });
    void sent.then((d) => { if (d === "stale") this.stale = true; });
    return this.activated ? null : sent;
  }
}

function switchData(r: SwitchResult): Record<string, unknown> {
  return { ...r };
}

export class ApplyEngine {
  constructor(private readonly p: ApplyPorts, private readonly c: ApplyContext) {}

  /** Applies `op` from the start (also when a crash before activation left a journal: preflight and fetch repeat). */
  async apply(op: Operation): Promise<Outcome> {
    const running = await this.p.host.currentSystem();
    const previous = running !== null && running !== op.target ? running : op.previous ?? null;
    const run = new Run(op, previous, this.p, this.c);
    const received = await run.step("received", true, { op, data: { kind: op.kind, target: op.target, previous, running, booted: await this.p.host.bootedSystem() } });
    if (await this.stoppedBeforeActivation(run, received)) return this.c.signal.aborted ? "stopped" : "failed";

    // Nothing has changed yet: an error here (Nix cannot be run, the cache cannot be read) fails the operation
    // with its reason, instead of escaping and being retried from the journal at every offer.
    const pre = await this.preflight(run).catch((err: unknown) => ({ ok: false as const, reason: `cannot run the preflight: ${(err as Error).message}`, data: undefined }));
    if (pre === "stopped") return "stopped";
    if (!pre.ok) {
      await run.step("preflight", false, { detail: pre.reason, ...(pre.data ? { data: pre.data } : {}) });
      return this.fail(run, `preflight: ${pre.reason}`);
    }
    if (await this.stoppedBeforeActivation(run, await run.step("preflight", true, { data: pre.data }))) return this.c.signal.aborted ? "stopped" : "failed";

    const started = this.p.now();
    try {
      const fetched = pre.data.bytesToFetch === 0 && pre.targetPresent ? { copied: 0 } : await this.p.nix.fetch(op.cache.url, op.target, op.cache.publicKeys);
      await this.p.nix.addRoot(op.target, run.rootLink);
      if (await this.stoppedBeforeActivation(run, await run.step("fetched", true, { data: { copied: fetched.copied, durationMs: this.p.now() - started } }))) return this.c.signal.aborted ? "stopped" : "failed";
    } catch (err) {
      return this.fail(run, `cannot fetch ${op.target} from ${op.cache.url}: ${(err as Error).message}`, { durationMs: this.p.now() - started });
    }

    await run.step("activating", true);
    run.markActivated();
    const activatedAt = this.p.now();
    const sw = await this.p.host.switchTo(op.target, "test");
    await run.step("activated", switchOk(sw), { data: switchData(sw), ...(switchOk(sw) ? {} : { detail: `switch-to-configuration test of ${op.target} exited ${sw.exitCode ?? sw.signal}${sw.timedOut ? " (timed out)" : ""}` }) });
    if (!switchOk(sw)) return this.rollback(run, "the activation failed");

    const health = await this.health(run, activatedAt);
    // Stopping (SIGTERM) cuts the health checks short: not a verdict; the next start asks the server (journal: health).
    if (this.c.signal.aborted) return "stopped";
    if (!health.healthy) return this.rollback(run, `health failed: ${health.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}`).join("; ")}`);

    const decision = await this.confirm(run, health, activatedAt);
    if (decision === "stopped") return "stopped";
    if (decision.decision !== "confirmed") return this.rollback(run, decision.reason);
    return this.commit(run);
  }

  /** Resumes an operation a crash interrupted, from its journal (steps.ts recoveryFor). */
  async recover(j: JournalRead): Promise<Outcome> {
    const action = recoveryFor(j.last.step);
    const received = j.entries[0]!;
    const previous = typeof received.data?.previous === "string" ? received.data.previous : j.op.previous ?? null;
    this.p.log("info", "resuming an operation from its journal", { operation: j.id, epoch: j.op.epoch, lastStep: j.last.step, tornLastLine: j.torn, action });
    if (action === "start-over") return this.apply(j.op);
    const run = new Run(j.op, previous, this.p, this.c);
    run.markActivated();
    if (action === "report") { await run.report(j.last); return j.last.step as Outcome; }
    if (action === "commit") return this.commit(run);
    if (action === "rollback") return this.rollback(run, `resumed after a restart (last step: ${j.last.step})`);
    // Activation may have happened and nothing was decided here: the server's record decides.
    const activatedAt = Date.parse(j.entries.find((e) => e.step === "activating")?.at ?? j.last.at);
    const status = await this.askServer(run, Math.max(activatedAt + j.op.confirmTimeoutSeconds * 1000, this.p.now() + 10_000));
    if (status === "stopped") return "stopped";
    if (status.confirmed) {
      await run.step("confirmed", true, { detail: `confirmed per the server after a restart (status ${status.status})` });
      return this.commit(run);
    }
    const why = `not confirmed by the server after a restart (${status.status})`;
    await run.step(status.decision === "refused" ? "refused" : "confirm-timeout", false, { detail: why });
    return this.rollback(run, why);
  }

  private async stoppedBeforeActivation(run: Run, delivery: Delivery | null): Promise<boolean> {
    if (this.c.signal.aborted) return true;
    if (delivery !== "stale") return false;
    // Nothing was changed yet: stop here, keep the store as it is (the server no longer wants this operation).
    await run.step("failed", false, { detail: "the server withdrew the operation (stale-operation) before activation; nothing was changed" });
    await this.p.nix.removeRoot(run.rootLink);
    return true;
  }

  private async fail(run: Run, reason: string, data?: Record<string, unknown>): Promise<Outcome> {
    await run.step("failed", false, { detail: `Cannot apply operation ${run.op.id} (${run.op.kind} to ${run.op.target}): ${reason}`, ...(data ? { data } : {}) });
    await this.p.nix.removeRoot(run.rootLink);
    return "failed";
  }

  private async preflight(run: Run): Promise<"stopped" | { ok: true; data: Record<string, unknown> & { bytesToFetch: number }; targetPresent: boolean } | { ok: false; reason: string; data?: Record<string, unknown> }> {
    const op = run.op;
    const contract = await this.p.contract();
    if (!contract.ok) return { ok: false, reason: `the host contract fails (${contract.failing.join(", ")}); fix the host first` };
    const targetPresent = (await this.p.nix.present([op.target])).has(op.target);
    // A rollback to a generation the store still holds needs no cache: it was checked when it was first fetched.
    let closure: CachePath[] = [];
    if (!(op.kind === "rollback" && targetPresent)) {
      let keys;
      try {
        keys = parseKeys(op.cache.publicKeys);
      } catch (err) {
        return { ok: false, reason: `bad cache.publicKeys: ${(err as Error).message}` };
      }
      try {
        closure = await this.p.nix.cacheClosure(op.cache.url, op.target);
      } catch (err) {
        return { ok: false, reason: `cannot read the closure of ${op.target} from the cache ${op.cache.url}: ${(err as Error).message}` };
      }
      const unsigned = unsignedPaths(closure, keys);
      if (unsigned.length > 0) {
        return {
          ok: false,
          reason: `${unsigned.length} of ${closure.length} path(s) of the closure lack a valid signature by a trusted key (trusted: ${keys.map((k) => k.name).join(", ")}): ${unsigned.slice(0, 5).join(", ")}${unsigned.length > 5 ? ", …" : ""}; nothing was fetched`,
          data: { unsigned: unsigned.slice(0, 50) },
        };
      }
    }
    const present = await this.p.nix.present(closure.map((x) => x.path));
    const missing = closure.filter((x) => !present.has(x.path));
    const bytesToFetch = missing.reduce((n, x) => n + x.narSize, 0);
    const closureBytes = closure.reduce((n, x) => n + x.narSize, 0);
    const targetInfo = closure.find((x) => x.path === op.target);
    let bootBytes = 0;
    for (const ref of (targetInfo?.references ?? []).filter(kernelLike)) {
      if (!(await this.p.host.onBoot(ref))) bootBytes += closure.find((x) => x.path === ref)?.narSize ?? 0;
    }
    const measure = async (deadBytes: number | null) => {
      const [freeNix, freeBoot] = [await this.p.host.freeBytes("/nix"), await this.p.host.freeBytes("/boot")];
      return { input: { bytesToFetch, bootBytes, freeNix: freeNix ?? 0, freeBoot, deadBytes }, decision: decideSpace({ bytesToFetch, bootBytes, freeNix: freeNix ?? 0, freeBoot, deadBytes }) };
    };
    let m = await measure(null);
    let gc: Record<string, unknown> | undefined;
    if (!m.decision.ok && m.decision.collect !== null) {
      // Short on /nix: only collect when the dead paths would make room (GC never touches roots: current, booted, every generation).
      const deadBytes = await this.p.nix.deadBytes();
      m = { input: { ...m.input, deadBytes }, decision: decideSpace({ ...m.input, deadBytes }) };
      if (!m.decision.ok && m.decision.collect !== null) {
        const freed = await this.p.nix.collectGarbage(m.decision.collect);
        gc = { deadBytes, ...freed };
        this.p.log("info", "collected garbage to make room for the operation", { operation: op.id, ...gc });
        m = await measure(0);
      }
    }
    const data = { bytesToFetch, pathsToFetch: missing.length, closureBytes, closurePaths: closure.length, bootBytes, freeNix: m.input.freeNix, freeBoot: m.input.freeBoot, needNix: m.decision.needNix, needBoot: m.decision.needBoot, ...(gc ? { gc } : {}), contractOk: true };
    if (!m.decision.ok) return { ok: false, reason: "reason" in m.decision ? m.decision.reason : "not enough space on /nix even after garbage collection", data };
    if (this.c.signal.aborted) return "stopped";
    return { ok: true, data, targetPresent };
  }

  private async health(run: Run, activatedAt: number): Promise<HealthReport> {
    const report = await checkHealth({
      target: run.op.target, checks: run.op.healthChecks ?? [], units: this.p.units,
      deadline: activatedAt + run.op.healthTimeoutSeconds * 1000, now: this.p.now, sleep: this.p.sleep, signal: this.c.signal,
    });
    await run.step("health", report.healthy, { data: { checks: report.checks, attempts: report.attempts, durationMs: report.durationMs } });
    return report;
  }

  /** Asks for the decision over fresh connections until one comes or confirmTimeoutSeconds since activation pass. */
  private async confirm(run: Run, health: HealthReport, activatedAt: number): Promise<"stopped" | { decision: "confirmed" | "refused" | "confirm-timeout"; reason: string }> {
    const deadline = activatedAt + run.op.confirmTimeoutSeconds * 1000;
    await run.step("confirm-requested", true, { data: { deadline: new Date(deadline).toISOString() } });
    let attempts = 0;
    let lastError: string | undefined;
    while (this.p.now() < deadline) {
      if (this.c.signal.aborted) return "stopped";
      if (run.wasStale) return this.decided(run, "refused", "the server refused this operation's events as stale");
      const remaining = deadline - this.p.now();
      const waitSeconds = Math.max(0, Math.min(30, Math.floor(remaining / 1000) - 2));
      attempts++;
      const tried = this.p.now();
      try {
        const answer = await this.p.api.confirm(this.c.nodeId, run.op.id, { epoch: run.op.epoch, healthy: health.healthy, checks: health.checks }, {
          waitSeconds, signal: AbortSignal.any([this.c.signal, AbortSignal.timeout(Math.max(1, remaining))]),
        });
        if (answer.decision === "confirmed") return this.decided(run, "confirmed", answer.reason ?? "confirmed by the server", attempts);
        if (answer.decision === "refused") return this.decided(run, "refused", answer.reason ?? "refused by the server", attempts);
      } catch (err) {
        if (this.c.signal.aborted) return "stopped";
        if (isStale(err)) return this.decided(run, "refused", `the server refused the confirmation: ${(err as Error).message}`, attempts);
        if (lastError === undefined) this.p.log("warn", "cannot ask for the confirmation; retrying until the confirm timeout", { operation: run.op.id, error: (err as Error).message, deadline: new Date(deadline).toISOString() });
        lastError = (err as Error).message;
      }
      // A quick answer (pending with no wait, or a failure) must not become a busy loop.
      const spent = this.p.now() - tried;
      if (spent < 1000) await this.p.sleep(Math.min(1000 - spent, Math.max(0, deadline - this.p.now())), this.c.signal);
    }
    return this.decided(run, "confirm-timeout", `no decision within ${run.op.confirmTimeoutSeconds} s of activation${lastError === undefined ? "" : ` (last error: ${lastError})`}`, attempts);
  }

  private async decided(run: Run, decision: "confirmed" | "refused" | "confirm-timeout", reason: string, attempts = 0): Promise<{ decision: typeof decision; reason: string }> {
    await run.step(decision, decision === "confirmed", { detail: reason, data: { attempts } });
    return { decision, reason };
  }

  /** GET the operation until an answer or `deadline`; confirmed when its decision or status says so. */
  private async askServer(run: Run, deadline: number): Promise<"stopped" | { confirmed: boolean; status: string; decision: string | null }> {
    let delay = 500;
    for (;;) {
      try {
        const s = await this.p.api.operationStatus(this.c.nodeId, run.op.id);
        return { confirmed: s.decision === "confirmed" || s.status === "confirmed" || s.status === "succeeded", status: s.status, decision: s.decision };
      } catch (err) {
        if (err instanceof ApiProblemError && err.status !== 429 && err.status !== 408) return { confirmed: false, status: `refused: ${err.message}`, decision: null };
        if (this.p.now() >= deadline) return { confirmed: false, status: `server unreachable: ${(err as Error).message}`, decision: null };
      }
      if (!(await this.p.sleep(delay, this.c.signal))) return "stopped";
      delay = Math.min(delay * 2, 5000);
    }
  }

  private async commit(run: Run): Promise<Outcome> {
    await run.step("committing", true);
    let generation: { generation: number; created: boolean };
    try {
      generation = await this.p.nix.setSystemProfile(run.op.target);
    } catch (err) {
      await run.step("failed", false, { detail: `confirmed, but cannot set the system profile to ${run.op.target}: ${(err as Error).message}; the system runs it, the boot default is unchanged` });
      return "failed";
    }
    const sw = await this.p.host.switchTo(run.op.target, "boot");
    if (!switchOk(sw)) {
      await run.step("failed", false, { detail: `confirmed and profile generation ${generation.generation} set, but switch-to-configuration boot exited ${sw.exitCode ?? sw.signal}${sw.timedOut ? " (timed out)" : ""}: the boot default may be the old system`, data: { ...generation, boot: switchData(sw) } });
      return "failed";
    }
    await this.p.reportFacts?.();
    await run.step("committed", true, { data: { ...generation, boot: switchData(sw) } });
    await this.p.nix.removeRoot(run.rootLink);
    return "committed";
  }

  private async rollback(run: Run, reason: string): Promise<Outcome> {
    await run.step("rolling-back", true, { detail: reason });
    const previous = run.previous;
    if (previous === null) {
      await run.step("failed", false, { detail: `${reason}; and there is no previous system to roll back to: the node runs ${run.op.target} until an operator acts (the boot default is unchanged)` });
      return "failed";
    }
    const sw = await this.p.host.switchTo(previous, "test");
    await this.p.reportFacts?.();
    await run.step("rolled-back", switchOk(sw), {
      detail: switchOk(sw) ? `${reason}; ${previous} is active again (the boot default was never changed)` : `${reason}; and re-activating ${previous} failed: exit ${sw.exitCode ?? sw.signal}${sw.timedOut ? " (timed out)" : ""}; a reboot boots it`,
      data: { previous, switch: switchData(sw) },
    });
    await this.p.nix.removeRoot(run.rootLink);
    return "rolled-back";
  }
}
