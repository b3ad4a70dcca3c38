/** A TCP port for a server started a moment later as another process (the sandbox's, the tests' killable one). */
import { createServer } from "node:net";

/** A port free on `host` now (the server takes it a moment later; nothing else on this machine picks ports in that range). */
export async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => { s.once("error", reject); s.listen(0, host, resolve); });
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
