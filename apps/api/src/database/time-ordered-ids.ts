// uuid 11: the last major version with a CommonJS build (12 dropped it), which the API's build needs.
import { v7 } from 'uuid';

/**
 * A new id for a call: a UUID of version 7 (RFC 9562), whose first 48 bits are the time in
 * milliseconds, so a call placed later on this node has an id that sorts after the ones
 * before (within a millisecond too: the package counts on from the last one; across nodes only
 * as far as their clocks agree). A call's id leads the keys of its row, its timeline
 * (`call_events`) and its held signals: new calls' rows go to the end of those indexes, where
 * the calls of one commit share pages, instead of each to a page of its own at a random place.
 * On SQLite a commit writes every page it changed to the WAL and the checkpoint copies them
 * again (`tools/bench/wal-frames.cjs`; README → Measured, twentieth stop).
 *
 * Still a UUID, as the socket protocol's schemas require. Not a secret: nothing is authorized
 * by knowing a call's id (every handler checks the sender is a party), and ids made in the
 * same millisecond as a known one share all but ~42 random bits. It tells when the call was
 * placed, as the call itself does to whoever may see it. Rows deleted soon after they are made
 * (deadlines, the outbox) keep random ids: on PostgreSQL a B-tree that only ever grows at one
 * end and is emptied at the other waits for VACUUM to reuse its pages.
 */
export function newCallId(): string {
  return v7();
}
