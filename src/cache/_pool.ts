/**
 * A bounded work queue: at most `limit` tasks in flight, and tasks may add
 * more items (a breadth-first walk). Thousands of paths never become
 * thousands of simultaneous requests. On the first failure no new task starts;
 * the failure is thrown once the tasks already running have settled.
 */
export async function drainQueue<T>(
  initial: Iterable<T>,
  limit: number,
  task: (item: T, enqueue: (item: T) => void) => Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  const queue: (T | undefined)[] = [...initial];
  let head = 0;
  let active = 0;
  let failed = false;
  let error: unknown;
  const enqueue = (item: T): void => {
    queue.push(item);
  };
  await new Promise<void>((resolve) => {
    const settle = (): void => {
      if (active === 0 && (failed || head >= queue.length)) resolve();
    };
    const pump = (): void => {
      while (!failed && active < limit && head < queue.length) {
        const item = queue[head] as T;
        queue[head++] = undefined; // let processed items be collected
        active++;
        // async wrapper: a task that throws synchronously fails like one that rejects.
        (async () => task(item, enqueue))().then(
          () => {
            active--;
            pump();
            settle();
          },
          (err: unknown) => {
            active--;
            if (!failed) {
              failed = true;
              error = err;
            }
            settle();
          },
        );
      }
      settle();
    };
    pump();
  });
  if (failed) throw error;
}
