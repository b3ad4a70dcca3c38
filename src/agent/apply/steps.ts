/**
 * The steps of an operation and what a journal's last step means for an
 * agent that starts again (pure). Wire steps are reported to the server;
 * `activating`, `committing` and `rolling-back` are journal-only intents,
 * written before a change whose end the agent might not live to see.
 */

export const WIRE_STEPS = [
  "received", "preflight", "fetched", "activated", "health", "confirm-requested",
  "confirmed", "refused", "confirm-timeout", "committed", "rolled-back", "failed",
] as const;
export type WireStep = (typeof WIRE_STEPS)[number];
export type JournalStep = WireStep | "activating" | "committing" | "rolling-back";

const TERMINAL: readonly JournalStep[] = ["committed", "rolled-back", "failed"];

export function isTerminal(step: JournalStep): boolean {
  return TERMINAL.includes(step);
}

export function isWireStep(step: JournalStep): step is WireStep {
  return (WIRE_STEPS as readonly string[]).includes(step);
}

/**
 * What to do with an operation whose journal ends at `last` (docs: "A crashed agent reads its journal on start"):
 * - start-over: nothing was activated yet (preflight and fetch are repeatable);
 * - ask-server: activation may have happened, no decision yet: commit if the server confirmed, else roll back;
 * - commit: confirmed (or mid-commit): commit, which is idempotent;
 * - rollback: refused, timed out or mid-rollback: roll back (idempotent);
 * - report: terminal; only tell the server the outcome again.
 */
export type Recovery = "start-over" | "ask-server" | "commit" | "rollback" | "report";

export function recoveryFor(last: JournalStep): Recovery {
  switch (last) {
    case "received": case "preflight": case "fetched": return "start-over";
    case "activating": case "activated": case "health": case "confirm-requested": return "ask-server";
    case "confirmed": case "committing": return "commit";
    case "refused": case "confirm-timeout": case "rolling-back": return "rollback";
    case "committed": case "rolled-back": case "failed": return "report";
  }
}
