import { sql, type Kysely } from 'kysely';
import { CALL_EVENT_TYPES } from '@switchboard/call-domain';
import { CALL_EVENT_TYPES_0008, checkEventTypes } from './0008-call-event-reconnections';


/**
 * Callbacks an agent works through:
 * - `calls.direction` (`inbound` — every call so far — or `outbound`: an agent calling a student
 *   back) and `calls.callback_id`, the request an outbound call was placed for;
 * - `callback_requests.taken_by` / `taken_at`: the agent who took the request (only they may
 *   call or record attempts);
 * - `callback_events`: the request's life after it was requested (taken, attempts with notes,
 *   calls placed, done), in order;
 * - the timeline entry `dialed` (an agent placed an outbound call). The CHECK is set to every
 *   kind the code knows when it runs (`CALL_EVENT_TYPES`), so kinds other branches add in
 *   migrations numbered before this one are kept whatever order they merge in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('calls')
    .addColumn('direction', 'text', (c) => c.notNull().defaultTo('inbound').check(sql`direction in ('inbound', 'outbound')`))
    .execute();
  await db.schema.alterTable('calls').addColumn('callback_id', 'text').execute();
  await db.schema.createIndex('calls_callback_id_idx').on('calls').column('callback_id').execute();
  await db.schema.alterTable('callback_requests').addColumn('taken_by', 'text').execute();
  await db.schema.alterTable('callback_requests').addColumn('taken_at', 'text').execute();
  await db.schema
    .createTable('callback_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('callback_id', 'text', (c) => c.notNull().references('callback_requests.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('taken', 'attempt', 'call_placed', 'done')`))
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('note', 'text')
    .addColumn('call_id', 'text')
    .execute();
  await db.schema.createIndex('callback_events_callback_idx').on('callback_events').columns(['callback_id', 'at']).execute();
  await db.schema.createIndex('callback_requests_student_idx').on('callback_requests').column('student_id').execute();
  await checkEventTypes(db, [...new Set([...CALL_EVENT_TYPES_0008, ...CALL_EVENT_TYPES])]);
}

/** Removes what {@link up} added (outbound calls and their timelines go with it). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from call_events where type = 'dialed'`.execute(db);
  await checkEventTypes(db, CALL_EVENT_TYPES_0008);
  await sql`delete from calls where direction = 'outbound'`.execute(db);
  await db.schema.dropIndex('callback_requests_student_idx').execute();
  await db.schema.dropTable('callback_events').execute();
  await db.schema.alterTable('callback_requests').dropColumn('taken_at').execute();
  await db.schema.alterTable('callback_requests').dropColumn('taken_by').execute();
  await db.schema.dropIndex('calls_callback_id_idx').execute();
  await db.schema.alterTable('calls').dropColumn('callback_id').execute();
  await db.schema.alterTable('calls').dropColumn('direction').execute();
}
