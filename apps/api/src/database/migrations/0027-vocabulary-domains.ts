import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { AGENT_STATES, CALL_OUTCOMES, CALL_STATES, END_REASONS } from '@switchboard/call-domain';
import { DEADLINE_KINDS_0013 } from './0013-call-rollups';
import { CALL_EVENT_TYPES_0014 } from './0014-call-quality-warnings';

/** One column of the call path whose values are a closed list, checked through a domain. */
export interface VocabularyCheck {
  table: string;
  column: string;
  /** The CHECK constraint's name (the one the column's `in (…)` check had). */
  constraint: string;
  /** The domain holding the values. */
  domain: string;
  values: readonly (string | number)[];
  /** Whether the `in (…)` check it replaced was added `not valid` (put back so on the way down). */
  notValid?: boolean;
}

/**
 * The checked vocabularies of the tables a call writes, with the values the code knows when
 * this runs (as 0002, 0012 and 0014 set theirs). Most other CHECKs (users, callbacks, retention
 * runs) are written rarely and stay as they are.
 */
export const VOCABULARY_CHECKS: readonly VocabularyCheck[] = [
  { table: 'calls', column: 'state', constraint: 'calls_state_check', domain: 'call_state', values: CALL_STATES },
  { table: 'calls', column: 'outcome', constraint: 'calls_outcome_check', domain: 'call_outcome', values: CALL_OUTCOMES },
  { table: 'calls', column: 'ended_by', constraint: 'calls_ended_by_check', domain: 'call_ended_by', values: ['caller', 'agent', 'system'] },
  { table: 'calls', column: 'end_reason', constraint: 'calls_end_reason_check', domain: 'call_end_reason', values: END_REASONS },
  { table: 'calls', column: 'direction', constraint: 'calls_direction_check', domain: 'call_direction', values: ['inbound', 'outbound'] },
  { table: 'calls', column: 'poor_quality', constraint: 'calls_poor_quality_check', domain: 'flag', values: [0, 1], notValid: true },
  { table: 'call_events', column: 'type', constraint: 'call_events_type_check', domain: 'call_event_type', values: CALL_EVENT_TYPES_0014 },
  { table: 'agent_presence', column: 'state', constraint: 'agent_presence_state_check', domain: 'agent_state', values: AGENT_STATES },
  { table: 'agent_presence', column: 'connected', constraint: 'agent_presence_connected_check', domain: 'flag', values: [0, 1] },
  { table: 'agent_state_changes', column: 'from_state', constraint: 'agent_state_changes_from_state_check', domain: 'agent_state', values: AGENT_STATES },
  { table: 'agent_state_changes', column: 'to_state', constraint: 'agent_state_changes_to_state_check', domain: 'agent_state', values: AGENT_STATES },
  { table: 'deadlines', column: 'kind', constraint: 'deadlines_kind_check', domain: 'deadline_kind', values: DEADLINE_KINDS_0013 },
  { table: 'call_signals', column: 'kind', constraint: 'call_signals_kind_check', domain: 'offer_signal_kind', values: ['offer', 'candidate'] },
  { table: 'call_answer_signals', column: 'kind', constraint: 'call_answer_signals_kind_check', domain: 'answer_signal_kind', values: ['answer', 'candidate'] },
];

/**
 * PostgreSQL: the call path's checks of a closed list of values (`state in ('queued', …)`)
 * become a cast to a domain that holds the list (`check (cast(state as call_state) = state)`):
 * the same values refused, with the same SQLSTATE (23514, check_violation; the message names
 * the domain's constraint), null still allowed where the column allows it.
 *
 * Why: PostgreSQL rebuilds a table's CHECK expressions from their stored text at every
 * execution of a statement that writes the table, prepared or not, and an `in` list is stored
 * as an array constant spelled out byte by byte — 0.6–3 KB of text each, six of them on
 * `calls`, read again for every move of a call. Under the gateway bench that was ~10 % of the
 * backends' CPU (`perf`: `ExecConstraints` → `stringToNode`); `tools/bench/pg-call-writes.cjs`
 * (an approximation of a call's writes) puts the backend's CPU for them at 0.83× with the
 * casts. A domain's constraint is parsed once per connection (the type cache), and the cast
 * left in the table's CHECK is ~300 bytes.
 *
 * The checks are added `not valid`: every stored row met the check each replaces, which allowed
 * the same values, so the migration reads no table (instant at a million calls). A later
 * migration that changes a list replaces the domain's constraint, named `<domain>_values`
 * (`alter domain call_state drop constraint call_state_values`, then `alter domain call_state
 * add constraint call_state_values check (value in (…))`): PostgreSQL checks no stored row then,
 * as no column is of the domain's type, so a narrowing must check (or delete) the rows itself.
 *
 * SQLite evaluates its CHECKs from the compiled statement: nothing changes there.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  const domains = new Map(VOCABULARY_CHECKS.map((c) => [c.domain, c]));
  for (const { domain, values } of domains.values()) {
    const base = typeof values[0] === 'number' ? sql`integer` : sql`text`;
    await sql`create domain ${sql.id(domain)} as ${base} constraint ${sql.id(`${domain}_values`)} check (value in (${valueList(values)}))`.execute(db);
  }
  for (const { table, column, constraint, domain } of VOCABULARY_CHECKS) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(constraint)},
      add constraint ${sql.id(constraint)} check (cast(${sql.ref(column)} as ${sql.id(domain)}) = ${sql.ref(column)}) not valid`.execute(db);
  }
}

/** Puts the `in (…)` checks back and drops the domains. */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const { table, column, constraint, values, notValid } of VOCABULARY_CHECKS) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(constraint)},
      add constraint ${sql.id(constraint)} check (${sql.ref(column)} in (${valueList(values)}))${notValid ? sql` not valid` : sql``}`.execute(db);
  }
  for (const domain of new Set(VOCABULARY_CHECKS.map((c) => c.domain))) await sql`drop domain ${sql.id(domain)}`.execute(db);
}

function valueList(values: readonly (string | number)[]) {
  return sql.join(values.map((v) => sql.lit(v)));
}
