/** The labelled guard corpus: every case, positives first. */
import { CACHE_TRUST_CASES } from "./cache-trust.js";
import { NEGATIVE_CASES } from "./negatives.js";
import { PINNING_CASES } from "./pinning.js";
import { SECRET_CASES } from "./secrets.js";
import { STORE_LEAK_CASES } from "./store-leak.js";
import type { LabelledCase } from "./types.js";

export { NOW_SECONDS } from "./clock.js";
export type { Expectation, LabelledCase } from "./types.js";
export { categoryOf, expectationLabel } from "./types.js";

export const POSITIVE_CASES: readonly LabelledCase[] = [...SECRET_CASES, ...STORE_LEAK_CASES, ...PINNING_CASES, ...CACHE_TRUST_CASES];
export { NEGATIVE_CASES };
export const ALL_CASES: readonly LabelledCase[] = [...POSITIVE_CASES, ...NEGATIVE_CASES];
