/** What a command may touch of the process: output streams, cwd, env, clock. Tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** The terminal's size when stdout is one (live views fit their page to it). */
  columns?: number;
  rows?: number;
  now(): number;
  version: string;
}
