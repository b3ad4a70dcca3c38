/** The node agent: enrollment, heartbeats with facts, the desired-state long-poll, and its state directory. */
export { runAgent } from "./agent.js";
export { activationMode, failedUnitsAdapter, operationRunner } from "./apply/index.js";
export { AgentFatalError } from "./_link.js";
export { AgentClient } from "./api.js";
export { ContractCache } from "./contract-cache.js";
export { checkContractConfig, ContractChildError, gatherContractInChild } from "./contract-process.js";
export { collectFacts } from "./facts.js";
export { nodeTransport } from "./http-transport.js";
export { jsonLog } from "./log.js";
export { StateDir, StateDirError } from "./state-dir.js";
export { workloadAdapter } from "./workloads.js";
