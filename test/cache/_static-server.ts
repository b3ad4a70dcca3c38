/**
 * A tiny static HTTP server for binary caches in tests: serves a directory
 * (or a handler) on 127.0.0.1 (or another address: a test fleet's), port 0, and counts requests. Started and
 * stopped by each test file.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

export interface TestServer {
  /** http://127.0.0.1:<port> (an IPv6 host in brackets) */
  url: string;
  requests: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Serves `handler`; `close()` also drops kept-alive connections so no handle outlives the test. */
export async function serve(handler: Handler, options: { host?: string } = {}): Promise<TestServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    state.requests++;
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const state: TestServer = {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    requests: 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return state;
}

/** Serves the files of `dir` (a binary cache directory); 404 for anything else. */
export function serveDirectory(dir: string, options: { delayMs?: number; host?: string } = {}): Promise<TestServer> {
  return serve(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(dir, path);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const info = await stat(file).catch(() => undefined);
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
    if (!info?.isFile() || path.includes("..")) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    res.writeHead(200, { "content-length": info.size, "content-type": file.endsWith(".narinfo") ? "text/x-nix-narinfo" : "application/octet-stream" });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  }, options.host === undefined ? {} : { host: options.host });
}
