/**
 * The error of the binary-cache reader: the URL is not a cache we can read,
 * or its nix-cache-info is missing or wrong. (HTTP failures stay HttpError.)
 */
export type CacheErrorCode = "unsupported-url" | "no-cache-info" | "bad-cache-info" | "read-failed";

export class CacheError extends Error {
  override readonly name = "CacheError";
  constructor(
    readonly code: CacheErrorCode,
    /** Cache URL, credentials removed. */
    readonly url: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
