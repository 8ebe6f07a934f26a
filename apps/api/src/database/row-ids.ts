import { v7 } from 'uuid';

/**
 * A new id for a row whose id leads the keys of busy indexes: a call (its row, timeline, held
 * signals and deadlines are keyed by it), a deadline, an outbox row. A UUID of version 7 (RFC
 * 9562): its first 48 bits are the time in milliseconds, so an id made later sorts after the
 * ones made before (within a millisecond too: the package keeps a counter). New rows then go
 * to the end of those indexes, where the rows of the calls one commit writes share pages,
 * instead of each to a page of its own at a random place: on SQLite a commit writes every page
 * it changed to the WAL, and the background checkpoint copies them (`tools/bench/wal-frames.cjs`;
 * README → Measured, twentieth stop). Still a UUID, as the socket protocol's schemas require,
 * and unguessable (74 random bits; nothing is authorized by knowing an id). It tells when the
 * row was made, as the row itself does to whoever may read it.
 */
export function newRowId(): string {
  return v7();
}
