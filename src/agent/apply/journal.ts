/**
 * The per-operation journal: `<state>/operations/<id>.jsonl`, one JSON line
 * per step, each appended with fsync of the file (and of the directory when
 * the file is new) before the agent acts on the next step, so a crash or a
 * power cut leaves a prefix of what happened. A torn last line (the crash
 * came mid-write) is dropped and reported; a bad line before the last is
 * corruption and an error.
 */
import { mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Operation } from "../wire.js";
import type { JournalStep } from "./steps.js";

export interface JournalEntry {
  step: JournalStep;
  at: string;
  epoch: number;
  ok: boolean;
  detail?: string;
  data?: Record<string, unknown>;
  /** On `received` only: the operation as the server sent it, so recovery needs no server. */
  op?: Operation;
}

export interface JournalRead {
  id: string;
  entries: JournalEntry[];
  /** The operation from the first `received` line. */
  op: Operation;
  last: JournalEntry;
  /** The last line was cut short (a crash mid-write) and was ignored. */
  torn: boolean;
}

export class JournalError extends Error {
  override readonly name = "JournalError";
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class Journal {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "operations");
  }

  file(id: string): string {
    if (!ID_RE.test(id)) throw new JournalError(`operation id ${JSON.stringify(id)} cannot name a journal file (letters, digits, _ . - only)`);
    return join(this.dir, `${id}.jsonl`);
  }

  /** Appends one line and makes it durable (file fsync; directory fsync when the file is new). */
  async append(id: string, entry: JournalEntry): Promise<void> {
    const path = this.file(id);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const line = `${JSON.stringify(entry)}\n`;
    let created: boolean;
    let fh = await open(path, "a", 0o600);
    try {
      created = (await fh.stat()).size === 0;
      await fh.appendFile(line);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (created) {
      fh = await open(this.dir, "r");
      try { await fh.sync(); } finally { await fh.close(); }
    }
  }

  /** The journal of `id`, or null when there is none. */
  async read(id: string): Promise<JournalRead | null> {
    let text: string;
    try {
      text = await readFile(this.file(id), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    return parseJournal(id, text, this.file(id));
  }

  /** Removes the journal of `id` (a finished operation the agent no longer needs; see OperationRunner). */
  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  /** Every journal, by epoch (oldest first); unreadable ones are returned as errors, not thrown. */
  async list(): Promise<{ journals: JournalRead[]; errors: JournalError[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { journals: [], errors: [] };
      throw err;
    }
    const journals: JournalRead[] = [];
    const errors: JournalError[] = [];
    for (const name of names.filter((n) => n.endsWith(".jsonl")).sort()) {
      try {
        const j = await this.read(name.slice(0, -".jsonl".length));
        if (j) journals.push(j);
      } catch (err) {
        errors.push(err instanceof JournalError ? err : new JournalError(`cannot read journal ${join(this.dir, name)}: ${(err as Error).message}`, { cause: err }));
      }
    }
    return { journals: journals.sort((a, b) => a.op.epoch - b.op.epoch), errors };
  }
}

/** Pure: the lines of a journal file → its entries; tolerates (and reports) a torn last line. */
export function parseJournal(id: string, text: string, where: string): JournalRead | null {
  const lines = text.split("\n");
  // A complete journal ends with "\n", so the last element is "" — unless the last write was torn.
  const tail = lines.pop() ?? "";
  let torn = tail !== "";
  const entries: JournalEntry[] = [];
  for (const [i, line] of lines.entries()) {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (cause) {
      // A line that ends with "\n" but does not parse: only possible as the last (torn within a page that did get its newline).
      if (i === lines.length - 1 && tail === "") { torn = true; break; }
      throw new JournalError(`journal ${where}:${i + 1} is not JSON (${(cause as Error).message}); the journal is damaged: move it away to let the agent start, and tell the control plane the operation's outcome is unknown`, { cause });
    }
    if (!isEntry(entry)) throw new JournalError(`journal ${where}:${i + 1} is not a journal entry: ${line.slice(0, 200)}`);
    entries.push(entry);
  }
  const first = entries[0];
  const last = entries.at(-1);
  if (first === undefined || last === undefined) return null;
  if (first.step !== "received" || first.op === undefined) throw new JournalError(`journal ${where} does not start with the operation received (first step: ${first.step})`);
  return { id, entries, op: first.op, last, torn };
}

function isEntry(v: unknown): v is JournalEntry {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.step === "string" && typeof e.at === "string" && typeof e.epoch === "number" && typeof e.ok === "boolean";
}
