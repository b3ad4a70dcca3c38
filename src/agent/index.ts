/** The node agent: enrollment, heartbeats with facts, the desired-state long-poll, and its state directory. */
export { AgentFatalError, runAgent, type AgentExit, type AgentOptions } from "./agent.js";
export { ContractCache, gatherContract } from "./contract-report.js";
export { collectFacts } from "./facts.js";
export { jsonLog, type Level } from "./log.js";
export { StateDir, StateDirError } from "./state-dir.js";
export { workloadAdapter } from "./workloads.js";
