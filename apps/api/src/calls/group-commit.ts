interface Pending<T> {
  item: T;
  done: () => void;
  failed: (err: unknown) => void;
}

/**
 * What `write` says of a batch: nothing (every item is stored), or for each item by position
 * the error that kept it out (undefined: stored) while the others were stored.
 */
export type BatchFailures = readonly unknown[] | void;

/**
 * Group commit: every item added while a write is in flight (or in the same tick) goes into
 * the next call of `write` — one transaction for a burst of many calls' messages instead of
 * one per message. Each {@link add} resolves once the batch holding its item is written, or
 * rejects with that batch's error (or the error `write` gives for that item alone), so an
 * acknowledged message is stored.
 */
export class GroupCommit<T> {
  private pending: Pending<T>[] = [];
  /** The batch being written now. */
  private batch: readonly Pending<T>[] = [];
  private writing: Promise<void> | null = null;
  /** Settles once the item added last is written (or failed): batches are written in order, so every earlier one is too. */
  private lastAdded: Promise<void> = Promise.resolve();

  constructor(private readonly write: (batch: readonly T[]) => Promise<BatchFailures>) {}

  /** Writes `item` with the next batch; resolves once it is stored. */
  add(item: T): Promise<void> {
    const added = new Promise<void>((done, failed) => {
      this.pending.push({ item, done, failed });
      this.writing ??= this.writeAll();
    });
    this.lastAdded = added.then(
      () => undefined,
      () => undefined,
    );
    return added;
  }

  /**
   * Resolves once everything added so far is written (or failed) — not what is added after:
   * under a steady stream of items the write loop never stops, and a reader must not wait for it.
   */
  flushed(): Promise<void> {
    return this.lastAdded;
  }

  /** The items added and not written yet, in the order they were added: the batch being written, then the next one's. */
  unwritten(): T[] {
    return [...this.batch, ...this.pending].map((p) => p.item);
  }

  private async writeAll(): Promise<void> {
    // Let this tick's items gather, then write them at once; repeat while more came.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = (this.batch = this.pending);
      this.pending = [];
      try {
        const failures = await this.write(batch.map((p) => p.item));
        for (const [i, p] of batch.entries()) {
          if (failures?.[i] === undefined) p.done();
          else p.failed(failures[i]);
        }
      } catch (err) {
        for (const p of batch) p.failed(err);
      } finally {
        this.batch = [];
      }
    }
    this.writing = null;
  }
}

/**
 * `items` grouped by call, the calls in one order on every node (so two nodes' batches take
 * the calls' locks in the same order and never wait for each other), each call's items in
 * arrival order.
 */
export function byCallInLockOrder<T>(items: readonly T[], callIdOf: (item: T) => string): [string, T[]][] {
  const byCall = new Map<string, T[]>();
  for (const item of items) {
    const callId = callIdOf(item);
    const list = byCall.get(callId);
    if (list) list.push(item);
    else byCall.set(callId, [item]);
  }
  return [...byCall].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
