/**
 * The `hostplane` binary against a rollout fleet (_rollouts.ts) served over a
 * real socket: the CLI runs as its own process while this one drives the
 * simulated agents and ticks the loops.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { listen, type RunningServer } from "../../src/server/listen.js";
import { hostplaneAsync, type CliRun } from "../harness/cli.js";
import { makeEnv, startServer, type Env, type Server } from "./_rollouts.js";


export interface CliFleet {
  env: Env;
  s: Server;
  http: RunningServer;
  /** HOSTPLANE_SERVER and an operator's HOSTPLANE_TOKEN. */
  vars: Record<string, string>;
  /** Run `hostplane ARGS` in the fleet's directory; resolves when it exits. */
  cli(args: string[], vars?: Record<string, string>): Promise<CliRun>;
  /** Write `data` as JSON to NAME in the fleet's directory; returns NAME. */
  file(name: string, data: unknown): string;
  close(): Promise<void>;
}

export async function cliFleet(): Promise<CliFleet> {
  const env = makeEnv();
  const s = await startServer(env);
  const http = await listen(s.app, { host: "127.0.0.1", port: 0 });
  const vars = { HOSTPLANE_SERVER: http.url, HOSTPLANE_TOKEN: s.operator };
  const cli = (args: string[], extra: Record<string, string> = {}): Promise<CliRun> => hostplaneAsync(args, { cwd: env.dir, env: { ...vars, ...extra } });
  const file = (name: string, data: unknown) => {
    writeFileSync(join(env.dir, name), typeof data === "string" ? data : JSON.stringify(data, null, 2));
    return name;
  };
  return { env, s, http, vars, cli, file, close: async () => { await http.close(); await s.close(); env.cleanup(); } };
}
