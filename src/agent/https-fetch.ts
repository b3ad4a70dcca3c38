/**
 * A fetch over node:https that trusts a given CA bundle (--ca-file): Node 20's
 * global fetch cannot be handed a CA without undici, which is not a
 * dependency. Enough of fetch for the API client: method, headers, a text
 * body, abort signal; plain http:// URLs go to the global fetch.
 */
import { request } from "node:https";

export function httpsFetch(options: { ca: string }): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    if (url.protocol !== "https:") return fetch(req);
    const body = req.body === null ? undefined : Buffer.from(await req.arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => { headers[k] = v; });
      const r = request(url, { method: req.method, headers, ca: options.ca, signal: req.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 502, headers: h }));
        });
      });
      // Same shape as fetch's failures, so the client reports the cause's code.
      r.on("error", (err) => reject(new TypeError("fetch failed", { cause: err })));
      r.end(body);
    });
  };
}
