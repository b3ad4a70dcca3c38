/**
 * A rollout policy from a policy file and command-line flags (flags win),
 * checked with RolloutPolicySchema before anything is sent. Pure: the caller
 * reads the file. Every problem is collected, each named by the flag it came
 * from or its path in the file.
 */
import { RolloutPolicySchema, type RolloutPolicy, type RolloutPolicyInput } from "../../fleet/rollout-policy.js";
import type { PathIssue } from "../issues.js";
import { issuePath } from "../issues.js";
import { parseDuration } from "../server/duration.js";

export interface PolicyFlags {
  "canary-label"?: string[] | undefined;
  "canary-count"?: string | undefined;
  waves?: string | undefined;
  "max-unavailable"?: string | undefined;
  "failure-budget"?: string | undefined;
  bake?: string | undefined;
  drain?: string | undefined;
  "confirm-timeout"?: string | undefined;
  window?: string[] | undefined;
  "no-rollback-on-abort"?: boolean | undefined;
}

export type PolicyResult =
  | { ok: true; input: RolloutPolicyInput; policy: RolloutPolicy }
  | { ok: false; issues: PathIssue[] };

/** `3` → 3, `25%` stays a share; anything else is passed on for the schema to name. */
function quantity(text: string): number | string {
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : text.trim();
}

/** `mon,tue 22:00-02:00` or `22:00-02:00` (every day), UTC. */
function maintenanceWindow(text: string): { days?: string[]; start: string; end: string } | null {
  const m = /^\s*(?:([a-z,]+)\s+)?(\d{1,2}:\d{2})-(\d{1,2}:\d{2})\s*$/i.exec(text);
  if (!m) return null;
  return { ...(m[1] === undefined ? {} : { days: m[1].toLowerCase().split(",").filter((d) => d !== "") }), start: m[2]!, end: m[3]! };
}

/**
 * The policy `file` (its parsed JSON, `fileName` for messages) with `flags` laid over it. A flag replaces the
 * file's value as a whole: `--canary-label` all the labels, `--window` all the windows, `--bake` every bake
 * (the canaries' too).
 */
export function policyFromFlags(file: unknown, fileName: string | undefined, flags: PolicyFlags): PolicyResult {
  const issues: PathIssue[] = [];
  /** Top-level keys (and canary.*) a flag set, so the schema's complaints can name the flag. */
  const fromFlag = new Map<string, string>();
  let input: Record<string, unknown> = {};
  if (file !== undefined) {
    if (typeof file !== "object" || file === null || Array.isArray(file)) issues.push({ path: `${fileName ?? "--policy"}`, message: "a policy file holds one JSON object (see docs/ops/upgrades-and-rollback.md, Rollouts)" });
    else input = structuredClone(file) as Record<string, unknown>;
  }
  const canary = (): Record<string, unknown> => {
    const c = input.canary;
    if (typeof c === "object" && c !== null && !Array.isArray(c)) return c as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    input.canary = fresh;
    return fresh;
  };
  const set = (key: string, flag: string, value: unknown) => { input[key] = value; fromFlag.set(key, flag); };
  const seconds = (flag: string, text: string): number | undefined => {
    try {
      return parseDuration(text, flag);
    } catch (err) {
      issues.push({ path: flag, message: (err as Error).message.replace(/^--[\w-]+ /, "") });
      return undefined;
    }
  };

  const labels = flags["canary-label"];
  if (labels !== undefined && labels.length > 0) {
    const parsed: Record<string, string> = {};
    for (const l of labels) {
      const eq = l.indexOf("=");
      if (eq <= 0) issues.push({ path: "--canary-label", message: `${JSON.stringify(l)}: expected KEY=VALUE, e.g. canary=true` });
      else parsed[l.slice(0, eq)] = l.slice(eq + 1);
    }
    canary().labels = parsed;
    fromFlag.set("canary.labels", "--canary-label");
  }
  const count = flags["canary-count"];
  if (count !== undefined) {
    if (/^\d{1,9}$/.test(count.trim())) { canary().count = Number(count.trim()); fromFlag.set("canary.count", "--canary-count"); }
    else issues.push({ path: "--canary-count", message: `${JSON.stringify(count)}: expected a whole number of nodes, e.g. 2` });
  }
  if (flags.waves !== undefined) set("waves", "--waves", flags.waves.split(",").map((w) => w.trim()));
  if (flags["max-unavailable"] !== undefined) set("maxUnavailable", "--max-unavailable", quantity(flags["max-unavailable"]));
  if (flags["failure-budget"] !== undefined) set("failureBudget", "--failure-budget", quantity(flags["failure-budget"]));
  if (flags.bake !== undefined) {
    const s = seconds("--bake", flags.bake);
    if (s !== undefined) {
      set("bakeSeconds", "--bake", s);
      if (input.canary !== undefined) { delete canary().bakeSeconds; }
    }
  }
  if (flags.drain !== undefined) set("drain", "--drain", flags.drain);
  if (flags["confirm-timeout"] !== undefined) {
    const s = seconds("--confirm-timeout", flags["confirm-timeout"]);
    if (s !== undefined) set("confirmTimeoutSeconds", "--confirm-timeout", s);
  }
  const windows = flags.window;
  if (windows !== undefined && windows.length > 0) {
    const parsed = windows.map((w) => {
      const win = maintenanceWindow(w);
      if (win === null) issues.push({ path: "--window", message: `${JSON.stringify(w)}: expected [DAYS ]HH:MM-HH:MM in UTC, e.g. "mon,tue 22:00-02:00" or "01:00-05:00"` });
      return win;
    });
    set("maintenanceWindows", "--window", parsed.filter((w) => w !== null));
  }
  if (flags["no-rollback-on-abort"] === true) set("rollbackOnAbort", "--no-rollback-on-abort", false);

  const parsed = RolloutPolicySchema.safeParse(input);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = issuePath(i.path);
      const two = i.path.slice(0, 2).map(String).join(".");
      const flag = fromFlag.get(two) ?? fromFlag.get(String(i.path[0]));
      issues.push({ path: flag === undefined ? (fileName === undefined ? path : `${fileName}: ${path}`) : `${flag} (${path})`, message: i.message });
    }
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, input, policy: parsed.data };
}
