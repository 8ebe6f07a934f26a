import { sql, type Kysely, type RawBuilder } from 'kysely';
import { AGENT_STATES, CALL_EVENT_TYPES, CALL_OUTCOMES, CALL_STATES, END_REASONS } from '@switchboard/call-domain';

/** Kinds of deadline row; see `apps/api/src/calls/deadlines.ts`. */
const DEADLINE_KINDS = ['ring_timeout', 'max_wait', 'media_timeout', 'wrap_up_end', 'presence_grace'];

function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

/**
 * Calls and everything the call server keeps: the call records and their timelines, held
 * signaling, agent presence and its history, deadlines, and callback requests. Every state
 * that matters lives here, so any node (or a restarted one) can carry on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull().check(oneOf('state', CALL_STATES)))
    .addColumn('outcome', 'text', (c) => c.check(oneOf('outcome', CALL_OUTCOMES)))
    .addColumn('caller_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('caller_name', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.references('users.id'))
    .addColumn('agent_name', 'text')
    .addColumn('ringing_agent_id', 'text', (c) => c.references('users.id'))
    .addColumn('rings_out_at', 'text')
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('answered_at', 'text')
    .addColumn('connected_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('ended_by', 'text', (c) => c.check(oneOf('ended_by', ['caller', 'agent', 'system'])))
    .addColumn('end_reason', 'text', (c) => c.check(oneOf('end_reason', END_REASONS)))
    .addColumn('queue_ms', 'integer')
    .addColumn('talk_ms', 'integer')
    .addColumn('wrap_up_ms', 'integer')
    .addColumn('disposition', 'text')
    .addColumn('notes', 'text')
    .execute();
  await db.schema.createIndex('calls_queued_at_idx').on('calls').column('queued_at').execute();
  await db.schema.createIndex('calls_agent_queued_at_idx').on('calls').columns(['agent_id', 'queued_at']).execute();
  await db.schema.createIndex('calls_outcome_queued_at_idx').on('calls').columns(['outcome', 'queued_at']).execute();
  await db.schema.createIndex('calls_caller_queued_at_idx').on('calls').columns(['caller_id', 'queued_at']).execute();
  await db.schema.createIndex('calls_state_idx').on('calls').column('state').execute();

  await db.schema
    .createTable('call_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(oneOf('type', CALL_EVENT_TYPES)))
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('call_events_call_seq_idx').on('call_events').columns(['call_id', 'seq']).unique().execute();

  await db.schema
    .createTable('call_signals')
    .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(oneOf('kind', ['offer', 'candidate'])))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_signals_pk', ['call_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('agent_presence')
    .addColumn('agent_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(oneOf('state', AGENT_STATES)))
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('connected', 'integer', (c) => c.notNull().defaultTo(0).check(sql`connected in (0, 1)`))
    .addColumn('call_id', 'text')
    .addColumn('idle_since', 'text', (c) => c.notNull())
    .addColumn('wrap_up_ends_at', 'text')
    .execute();

  await db.schema
    .createTable('agent_state_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text', (c) => c.notNull().check(oneOf('from_state', AGENT_STATES)))
    .addColumn('to_state', 'text', (c) => c.notNull().check(oneOf('to_state', AGENT_STATES)))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('by_user_id', 'text')
    .execute();
  await db.schema.createIndex('agent_state_changes_agent_at_idx').on('agent_state_changes').columns(['agent_id', 'at']).execute();

  await db.schema
    .createTable('deadlines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(oneOf('kind', DEADLINE_KINDS)))
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'text')
    .addUniqueConstraint('deadlines_kind_subject_unique', ['kind', 'subject_id'])
    .execute();
  await db.schema.createIndex('deadlines_due_at_idx').on('deadlines').column('due_at').execute();

  await db.schema
    .createTable('callback_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('call_id', 'text', (c) => c.references('calls.id'))
    .addColumn('student_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text')
    .addColumn('done_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('callback_requests_call_idx').on('callback_requests').column('call_id').unique().execute();
  await db.schema.createIndex('callback_requests_created_at_idx').on('callback_requests').column('created_at').execute();
}

/** Drops the call tables, dependents first. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['callback_requests', 'deadlines', 'agent_state_changes', 'agent_presence', 'call_signals', 'call_events', 'calls']) {
    await db.schema.dropTable(table).execute();
  }
}
