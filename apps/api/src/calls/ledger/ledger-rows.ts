import type { AgentPresenceRow, CallRow } from '../../database/schema';

/** Rows of calls and of agents' presence kept, at most, per table (the oldest kept go first). */
export const MAX_KEPT_ROWS = 4096;

/** A row as a committed ledger transaction left it, and its `version` then (migration 0022). */
export interface KeptRow<R> {
  row: R;
  version: number;
}

/** One table's kept rows, by key, oldest first. */
export class KeptRows<R> {
  private readonly rows = new Map<string, KeptRow<R>>();

  constructor(private readonly max = MAX_KEPT_ROWS) {}

  get(key: string): KeptRow<R> | undefined {
    return this.rows.get(key);
  }

  set(key: string, kept: KeptRow<R>): void {
    this.rows.delete(key);
    this.rows.set(key, kept);
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value as string);
  }

  delete(key: string): void {
    this.rows.delete(key);
  }

  get size(): number {
    return this.rows.size;
  }
}

/**
 * PostgreSQL: the calls and agents' presence rows the ledger's transactions committed, kept
 * with their version so that the next transaction on the same call or agent starts from them
 * instead of reading them again. A call setup is five or six transactions on one call and one
 * agent, each of which read both rows first: a round trip each, before anything else could be
 * sent. A transaction starting from a kept row sends, with its next statement, a check that the
 * row's version is still the kept one (every update raises it, by a trigger: another node's,
 * an operator's); when it is not, the check fails the transaction, which runs again on fresh
 * reads, so a kept row is never trusted beyond that check — as a row read at that moment.
 */
export class LedgerRows {
  readonly calls = new KeptRows<CallRow>();
  readonly agents = new KeptRows<AgentPresenceRow>();
  /** Transactions run again because a row they started from had changed meanwhile (for tests and the benchmark). */
  stale = 0;
}
