import { sql, type Kysely } from 'kysely';
import { CALL_EVENT_TYPES } from '@switchboard/call-domain';
import { CALL_EVENT_TYPES_0008, checkEventTypes } from './0008-call-event-reconnections';

/**
 * The timeline entry `quality_warning`: a call's quality crossed a warning threshold (high
 * delay, jitter, packet loss or low MOS), once per kind of warning per call. The CHECK is set to
 * every kind the code knows when it runs (`CALL_EVENT_TYPES`), as 0012 did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await checkEventTypes(db, CALL_EVENT_TYPES_0014);
}

/** The kinds of timeline entry this migration's CHECK allows. */
export const CALL_EVENT_TYPES_0014 = [...new Set([...CALL_EVENT_TYPES_0008, ...CALL_EVENT_TYPES, 'quality_warning'])];

/** Removes the entries of that kind and narrows the CHECK back. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from call_events where type = 'quality_warning'`.execute(db);
  await checkEventTypes(
    db,
    [...new Set([...CALL_EVENT_TYPES_0008, ...CALL_EVENT_TYPES])].filter((type) => type !== 'quality_warning'),
  );
}
