/** What a command may touch of the process: output streams, cwd, env, clock. Tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  now(): number;
  version: string;
}
