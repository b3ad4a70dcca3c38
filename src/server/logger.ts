/**
 * Structured logs: one JSON object per line (journald keeps them whole). The
 * app hands records to a Logger function; production writes them to stdout,
 * tests collect them. Callers never put secrets, Authorization headers or
 * request bodies into a record.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogRecord {
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

/** Receives a finished record, `time` included. */
export type Logger = (record: LogRecord & { time: string }) => void;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * A Logger writing one JSON line per record at `level` or above (default
 * info) through `write` (e.g. process.stdout). Below it a record costs a
 * comparison: routine successes (heartbeats) are logged at debug.
 */
export function jsonLineLogger(write: (line: string) => void, options: { level?: LogLevel } = {}): Logger {
  const least = RANK[options.level ?? "info"];
  return (record) => {
    if (RANK[record.level] < least) return;
    write(JSON.stringify(record) + "\n");
  };
}
