/**
 * The agent's HTTP transport: node:http and node:https, not the global fetch,
 * whose implementation (undici, Request, Response) costs the resident agent
 * about 10 MB. One request, a text body in and out, an abort signal; a CA
 * bundle (--ca-file) for an HTTPS server with a private CA.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
  body: string;
}

/** Sends one request; rejects (with the socket error as `cause`) when no answer came. */
export type Transport = (req: HttpRequest) => Promise<HttpAnswer>;

/** Larger answers are refused: the agent's answers are a few kilobytes. */
const MAX_ANSWER_BYTES = 8 << 20;

/** `fresh`: every request on a new TCP connection, closed after the answer (no agent, no keep-alive). */
export function nodeTransport(options: { ca?: string; fresh?: boolean } = {}): Transport {
  return (req) => new Promise<HttpAnswer>((resolve, reject) => {
    const url = new URL(req.url);
    const headers = {
      ...req.headers, ...(req.body === undefined ? {} : { "content-length": String(Buffer.byteLength(req.body)) }),
      ...(options.fresh === true ? { connection: "close" } : {}),
    };
    const agent = options.fresh === true ? { agent: false as const } : {};
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        bytes += c.length;
        if (bytes > MAX_ANSWER_BYTES) res.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on("error", (err) => reject(new TypeError("request failed", { cause: err })));
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        resolve({ status: res.statusCode ?? 502, retryAfter: typeof retryAfter === "string" ? retryAfter : null, body: Buffer.concat(chunks).toString("utf8") });
      });
    };
    const r = url.protocol === "https:"
      ? httpsRequest(url, { method: req.method, headers, signal: req.signal, ...agent, ...(options.ca === undefined ? {} : { ca: options.ca }) }, onAnswer)
      : httpRequest(url, { method: req.method, headers, signal: req.signal, ...agent }, onAnswer);
    // The same shape as fetch's failures: the socket error (with its code) is the cause.
    r.on("error", (err) => reject(new TypeError("request failed", { cause: err })));
    r.end(req.body);
  });
}
