/**
 * The HTTP client adapter: the only client-side code in hostplane that opens
 * sockets. One GET with a deadline, answered as a value for 200 and 404 and a
 * typed HttpError for everything else. Node 20's global fetch (undici) already
 * keeps connections alive per origin with no cap, which is what a burst of
 * thousands of small narinfo requests needs, so no custom agent is installed.
 */
import { redactUrl } from "./redact-url.js";

export type HttpErrorCode = "timeout" | "cannot-connect" | "http-status" | "bad-url";

export class HttpError extends Error {
  override readonly name = "HttpError";
  /** The HTTP status for `http-status` errors. */
  readonly status: number | undefined;
  constructor(
    readonly code: HttpErrorCode,
    /** The request URL with any user:password removed. */
    readonly url: string,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

export interface FetchTextOptions {
  /** Deadline for the whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Cancels the request; the signal's reason is thrown as is (not an HttpError). */
  signal?: AbortSignal;
  /** Largest body accepted (default 1 MiB): a narinfo is a few hundred bytes. */
  maxBytes?: number;
}

export type FetchTextResult = { status: 200; text: string } | { status: 404 };

const DEFAULT_MAX_BYTES = 1 << 20;

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);
const DESCRIPTIONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed (temporary)",
  ECONNRESET: "connection reset by the server",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "the server closed the connection",
};

/** Userinfo moves into an Authorization header: fetch refuses URLs that carry credentials. */
function prepare(url: string): { target: URL; shown: string; headers: Record<string, string> } {
  const shown = redactUrl(url);
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw new HttpError("bad-url", shown, `Cannot fetch ${JSON.stringify(shown)}: not a valid URL`, { cause });
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new HttpError("bad-url", shown, `Cannot fetch ${shown}: only http:// and https:// URLs are supported, not ${target.protocol}//`);
  }
  const headers: Record<string, string> = {};
  if (target.username !== "" || target.password !== "") {
    const user = decodeURIComponent(target.username);
    const pass = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  return { target, shown, headers };
}

/** The innermost error code of a fetch failure (undici wraps it in `cause`, sometimes in an AggregateError). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === "object" && e !== null; depth++) {
    const { code, errors, cause } = e as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === "string") return code;
    e = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return undefined;
}

function failure(err: unknown, shown: string): HttpError {
  const code = errorCode(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new HttpError("timeout", shown, `GET ${shown} timed out (${code}); check that the server is up, or raise the timeout`, { cause: err });
  }
  const inner = (err as { cause?: { message?: unknown } }).cause?.message;
  const why = (code !== undefined ? DESCRIPTIONS[code] : undefined) ?? (typeof inner === "string" && inner !== "" ? inner : (err as Error).message);
  return new HttpError("cannot-connect", shown, `Cannot connect to ${shown}: ${why}${code !== undefined ? ` (${code})` : ""}; check the URL, the network and that the server is running`, { cause: err });
}

async function readBody(body: ReadableStream<Uint8Array> | null, maxBytes: number, shown: string, status: number): Promise<string> {
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new HttpError("http-status", shown, `GET ${shown} answered ${status} with a body over ${maxBytes} bytes; this is not a binary-cache file (wrong URL?)`, { status });
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength).toString("utf8") : Buffer.concat(chunks).toString("utf8");
}

/** GET `url`: `{ status: 200, text }`, `{ status: 404 }`, or an HttpError naming the URL (credentials removed). */
export async function fetchText(url: string, options: FetchTextOptions): Promise<FetchTextResult> {
  const { target, shown, headers } = prepare(url);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  try {
    const res = await fetch(target, { headers, signal, redirect: "follow" });
    if (res.status === 200) return { status: 200, text: await readBody(res.body, maxBytes, shown, 200) };
    if (res.status === 404) {
      await readBody(res.body, maxBytes, shown, 404); // drained, the connection goes back to the pool
      return { status: 404 };
    }
    await res.body?.cancel();
    throw new HttpError("http-status", shown, `GET ${shown} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}, expected 200 or 404`, { status: res.status });
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (deadline.aborted) {
      throw new HttpError("timeout", shown, `GET ${shown} timed out after ${options.timeoutMs} ms; check that the server is up, or raise the timeout`, { cause: err });
    }
    throw failure(err, shown);
  }
}
