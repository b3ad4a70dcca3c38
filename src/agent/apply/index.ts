/** Applying operations on the node: the journal, the step machine and its host adapters, and the one-at-a-time runner. */
export { activationMode } from "./activation.js";
export { failedUnitsAdapter } from "./failed-units.js";
export { operationRunner } from "./setup.js";
