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

/** A Logger writing one JSON line per record through `write` (e.g. process.stdout). */
export function jsonLineLogger(write: (line: string) => void): Logger {
  return (record) => {
    write(JSON.stringify(record) + "\n");
  };
}
