/** Puts the real adapters together for `hostplane agent`: the runner that applies the desired state's operations. */
import { join } from "node:path";
import { Nix } from "../../nix/index.js";
import { AgentClient } from "../api.js";
import { realSleep } from "../backoff.js";
import type { Transport } from "../http-transport.js";
import type { AgentLog } from "../log.js";
import type { ActivationMode } from "./activation.js";
import { ApplyEngine, type Outcome } from "./engine.js";
import type { FailedUnits } from "./failed-units.js";
import { hostPort } from "./host.js";
import { Journal } from "./journal.js";
import { nixPort } from "./nix-port.js";
import { EventReporter } from "./reporter.js";
import { OperationRunner } from "./runner.js";

export interface OperationRunnerOptions {
  /** The agent's state directory: journals go to DIR/operations/. */
  stateDir: string;
  server: string;
  credential: string;
  nodeId: string;
  signal: AbortSignal;
  transport: Transport;
  /** A transport that opens a new connection per request, for confirmations. */
  freshTransport: Transport;
  units: FailedUnits;
  contract: () => Promise<{ ok: boolean; failing: readonly string[] }>;
  log: AgentLog;
  /** Sends the node's facts now; the engine calls it before reporting an outcome that changed the running system. */
  reportFacts?: () => Promise<void>;
  /** How switch-to-configuration runs (activation.ts; default direct). */
  activation?: ActivationMode;
  /** Called after each operation that ended (not one cut short by stopping). */
  onOutcome?: (outcome: Outcome) => void;
}

export function operationRunner(o: OperationRunnerOptions): OperationRunner {
  const api = new AgentClient({ server: o.server, token: o.credential, transport: o.transport, freshTransport: o.freshTransport, timeoutMs: 10_000 });
  const journal = new Journal(o.stateDir);
  const reporter = new EventReporter({ api, nodeId: o.nodeId, log: o.log, sleep: realSleep, signal: o.signal });
  const engine = new ApplyEngine(
    { nix: nixPort(new Nix()), host: hostPort({ activation: o.activation ?? "direct", activationLog: join(o.stateDir, "switch-to-configuration.log"), signal: o.signal }), units: o.units, contract: o.contract, api, reporter, journal, log: o.log, now: Date.now, sleep: realSleep, ...(o.reportFacts ? { reportFacts: o.reportFacts } : {}) },
    { nodeId: o.nodeId, rootDir: join(o.stateDir, "operations"), signal: o.signal },
  );
  return new OperationRunner({ engine, journal, log: o.log, signal: o.signal, ...(o.onOutcome ? { onOutcome: o.onOutcome } : {}) });
}
