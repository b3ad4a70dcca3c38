/** The fleet network planner (src/sandbox/hosts/_net-plan.ts), for its unit tests. */
export { MAX_HOSTS, chooseSlot, hostCreateBatch, planFleetNet, prefixOfName, rootCreateBatch, rootDeleteBatch } from "../../../src/sandbox/hosts/_net-plan.js";
