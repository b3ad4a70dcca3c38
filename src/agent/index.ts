/** The node agent: enrollment, heartbeats with facts, the desired-state long-poll, and its state directory. */
export { AgentFatalError, runAgent } from "./agent.js";
export { ContractCache, gatherContract } from "./contract-report.js";
export { collectFacts } from "./facts.js";
export { jsonLog } from "./log.js";
export { StateDir, StateDirError } from "./state-dir.js";
export { workloadAdapter } from "./workloads.js";
