/**
 * Transaction bookkeeping shared by both backends: which repository object may
 * run statements now, nested transactions as savepoints, and refusing the outer
 * repository inside its own transaction (on SQLite it would wait for the
 * transaction to end, forever; on PostgreSQL it would run outside it).
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** One open transaction (depth 0) or savepoint. */
export class TxFrame {
  done = false;
  childOpen = false;
  constructor(readonly owner: object, readonly depth: number) {}

  /** Throws unless statements may run in this frame now. */
  check(): void {
    if (this.done) throw new Error("This transaction has ended: the repository passed to transaction() is usable only until its function settles");
    if (this.childOpen) throw new Error("A nested transaction is open: inside it, use the repository it passed to its function");
  }
}

const current = new AsyncLocalStorage<TxFrame>();

/** Throws when running inside a transaction of `owner` (the outer repository's shared state). */
export function refuseInsideTransaction(owner: object): void {
  const frame = current.getStore();
  if (frame !== undefined && frame.owner === owner && !frame.done) {
    throw new Error("The repository was called inside its own transaction: use the repository passed to the transaction's function");
  }
}

type Exec = (statement: string) => unknown;

/** Run `fn` between `begin` and COMMIT; ROLLBACK (and rethrow) when it throws or COMMIT fails. */
export async function runTransaction<T>(owner: object, exec: Exec, begin: string, fn: (frame: TxFrame) => Promise<T>): Promise<T> {
  const frame = new TxFrame(owner, 0);
  await exec(begin);
  try {
    const result = await current.run(frame, () => fn(frame));
    // Refuse statements `fn` left running: they would land after it settled, in or out of the commit.
    frame.done = true;
    await exec("COMMIT");
    return result;
  } catch (error) {
    frame.done = true;
    await undo(exec, "ROLLBACK", error);
    throw error;
  }
}

/** A savepoint inside `parent`: `fn`'s throw undoes only its own writes, and the transaction goes on. */
export async function runNested<T>(parent: TxFrame, exec: Exec, fn: (frame: TxFrame) => Promise<T>): Promise<T> {
  parent.check();
  const frame = new TxFrame(parent.owner, parent.depth + 1);
  const name = `hostplane_${frame.depth}`;
  await exec(`SAVEPOINT ${name}`);
  parent.childOpen = true;
  try {
    const result = await fn(frame);
    frame.done = true;
    await exec(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    frame.done = true;
    await undo(exec, `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`, error);
    throw error;
  } finally {
    parent.childOpen = false;
  }
}

async function undo(exec: Exec, statement: string, error: unknown): Promise<void> {
  try {
    await exec(statement);
  } catch (undoError) {
    throw new AggregateError([error, undoError], `${statement} failed after the transaction's function threw`, { cause: undoError });
  }
}
