/** The host contract: checks as data, the facts they read, and the pure evaluation. */
export { CONTRACT, gatherPlan, profileChecks } from "./catalog.js";
export type { CheckDef, CheckStatus, ContractReport } from "./check.js";
export { parseContractConfig, resolveContractConfig, contractConfigJsonSchema, PROFILE_NAMES } from "./config.js";
export type { ContractConfig, ContractConfigInput, ProfileName } from "./config.js";
export { checkIgnorePatterns, evaluateContract } from "./evaluate.js";
export { parseFacts, factsJsonSchema } from "./facts.js";
export type { Facts } from "./facts.js";
