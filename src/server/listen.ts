/**
 * The socket adapter: the only server code that opens a port. HTTP, or HTTPS
 * with a certificate and key. The app sees the peer address as the
 * `remoteAddress` binding (the failed-auth limiter keys on it) and nothing else
 * of Node's request objects.
 */
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { App } from "./context.js";

export interface ListenOptions {
  /** Address to bind, e.g. "::" (all, dual-stack), "127.0.0.1". */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate chain and private key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface RunningServer {
  /** Where it listens, e.g. "https://[::1]:8443". */
  url: string;
  port: number;
  /**
   * Stop accepting connections, let in-flight requests finish, close idle
   * keep-alive connections; after `graceMs` cut whatever is still open.
   */
  close(graceMs?: number): Promise<void>;
}

export class ListenError extends Error {
  override readonly name = "ListenError";
}

export async function listen(app: App, options: ListenOptions): Promise<RunningServer> {
  const fetch = (req: Request, env: { incoming: { socket: { remoteAddress?: string | undefined } } }) => {
    const remoteAddress = env.incoming.socket.remoteAddress;
    return app.fetch(req, remoteAddress === undefined ? {} : { remoteAddress });
  };
  const tls = options.tls;
  const server = (tls
    ? serve({ fetch, port: options.port, hostname: options.host, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })
    : serve({ fetch, port: options.port, hostname: options.host })) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new ListenError(`cannot listen on ${formatHost(options.host)}:${options.port}: ${err.code ?? err.message}${err.code === "EADDRINUSE" ? " (another process uses the port)" : err.code === "EACCES" ? " (ports below 1024 need privileges)" : ""}`, { cause: err }));
    };
    server.once("error", onError);
    server.once("listening", () => { server.off("error", onError); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? "https" : "http"}://${formatHost(options.host)}:${port}`;
  return {
    url,
    port,
    close: (graceMs = 10_000) => new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => { clearTimeout(cut); resolve(); });
      server.closeIdleConnections();
    }),
  };
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
