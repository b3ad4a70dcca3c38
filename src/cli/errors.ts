/** Errors the CLI maps to exit code 2 (usage or configuration); everything unexpected is 3. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
