/**
 * The health step: no failed units and every check of the operation passing,
 * tried again every second until all pass or `deadline`. Command checks run
 * `<target>/<path> args…` (paths inside the signed closure, checked by the
 * wire decoder) with their timeout; HTTP checks GET a URL over a new
 * connection and pass on the expected status (default any 2xx).
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { run } from "../../process/run.js";
import type { Sleep } from "../backoff.js";
import type { HealthCheckSpec } from "../wire.js";
import type { FailedUnits } from "./failed-units.js";

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  healthy: boolean;
  checks: CheckResult[];
  attempts: number;
  durationMs: number;
}

export function checkName(c: HealthCheckSpec): string {
  return c.name ?? (c.kind === "command" ? c.path : c.url);
}

async function commandCheck(target: string, c: Extract<HealthCheckSpec, { kind: "command" }>): Promise<CheckResult> {
  const name = checkName(c);
  const timeoutMs = (c.timeoutSeconds ?? 30) * 1000;
  try {
    const r = await run(`${target}/${c.path}`, c.args ?? [], { timeoutMs, killDelayMs: 2000, maxOutputBytes: 64 << 10 });
    const ms = Math.round(r.durationMs);
    if (r.timedOut) return { name, ok: false, detail: `timed out after ${timeoutMs} ms` };
    if (r.exitCode === 0) return { name, ok: true, detail: `exit 0 in ${ms} ms` };
    const err = r.stderr.trim().slice(-300);
    return { name, ok: false, detail: `exit ${r.exitCode ?? r.signal} in ${ms} ms${err === "" ? "" : `: ${err}`}` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

function httpCheck(c: Extract<HealthCheckSpec, { kind: "http" }>): Promise<CheckResult> {
  const name = checkName(c);
  const timeoutMs = (c.timeoutSeconds ?? 10) * 1000;
  return new Promise((resolve) => {
    const url = new URL(c.url);
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { method: "GET", agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const ok = c.expectStatus === undefined ? status >= 200 && status <= 299 : status === c.expectStatus;
      resolve({ name, ok, detail: `HTTP ${status}${ok ? "" : c.expectStatus === undefined ? " (expected 2xx)" : ` (expected ${c.expectStatus})`}` });
    });
    req.on("error", (err) => resolve({ name, ok: false, detail: `GET failed: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
    req.end();
  });
}

async function failedUnitsCheck(units: FailedUnits): Promise<CheckResult> {
  const name = "failed-units";
  try {
    const failed = await units.list();
    return failed.length === 0 ? { name, ok: true, detail: "no failed units" } : { name, ok: false, detail: `failed: ${failed.slice(0, 20).join(", ")}${failed.length > 20 ? ` and ${failed.length - 20} more` : ""}` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

export interface HealthOptions {
  target: string;
  checks: readonly HealthCheckSpec[];
  units: FailedUnits;
  /** Epoch ms: the last attempt starts before it. */
  deadline: number;
  now: () => number;
  sleep: Sleep;
  signal: AbortSignal;
}

export async function checkHealth(o: HealthOptions): Promise<HealthReport> {
  const started = o.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const checks = [await failedUnitsCheck(o.units)];
    for (const c of o.checks) checks.push(c.kind === "command" ? await commandCheck(o.target, c) : await httpCheck(c));
    const healthy = checks.every((c) => c.ok);
    if (healthy || o.now() + 1000 >= o.deadline || o.signal.aborted) return { healthy, checks, attempts, durationMs: o.now() - started };
    await o.sleep(1000, o.signal);
  }
}
