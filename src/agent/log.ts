/**
 * The agent's logs: one JSON object per line (time, level, msg, fields) for
 * journald; info and debug on stdout, warn and error on stderr. Callers never
 * log secrets; as a second guard, every registered secret (the credential, the
 * bootstrap token) is replaced by "[redacted]" wherever it would appear.
 */

export type Level = "debug" | "info" | "warn" | "error";
export type AgentLog = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

export interface LogSink {
  stdout(line: string): void;
  stderr(line: string): void;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface JsonLog {
  log: AgentLog;
  /** Never print this string, whatever field it turns up in. */
  addSecret(secret: string): void;
}

export function jsonLog(sink: LogSink, options: { minLevel?: Level; now?: () => number } = {}): JsonLog {
  const secrets = new Set<string>();
  const min = RANK[options.minLevel ?? "info"];
  const now = options.now ?? Date.now;
  return {
    addSecret: (s) => { if (s.length >= 8) secrets.add(s); },
    log: (level, msg, fields = {}) => {
      if (RANK[level] < min) return;
      let line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...fields });
      for (const s of secrets) line = line.split(s).join("[redacted]");
      if (RANK[level] >= RANK.warn) sink.stderr(line + "\n");
      else sink.stdout(line + "\n");
    },
  };
}
