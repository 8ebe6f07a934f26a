import { Injectable } from '@nestjs/common';
import type { LogEvent } from 'kysely';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { CALL_OUTCOMES } from '@switchboard/call-domain';

/** Latency buckets (seconds) for socket events and database statements: 0.5 ms to 5 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A statement's first word, after leading whitespace and block comments. */
const LEADING_WORD = /^(?:\s*\/\*[\s\S]*?\*\/)*\s*(\w+)/;

/** The statement kinds `switchboard_database_query_duration_seconds` is labelled with. */
const STATEMENT_KINDS = new Set(['select', 'insert', 'update', 'delete']);

/** How many statement texts {@link ServerMetrics} keeps the kind of. */
const MAX_KNOWN_STATEMENTS = 2_000;

/** `sql`'s kind: its first word after any leading comments (the ledger marks statements it does not read the result of with one). */
function statementKind(sql: string): string {
  const word = LEADING_WORD.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return STATEMENT_KINDS.has(word) ? word : 'other';
}

/**
 * This node's Prometheus metrics, in a registry of its own (not prom-client's global one, so
 * several apps in one process, as in the tests, each report their own). What is measured in
 * the process lives here: socket event latency, database statement durations, calls ended
 * (counted by the ledger reaction that sees `callEnded`), and Node's default process metrics.
 * What is read from the database at scrape time is in `StoredStateMetrics`.
 */
@Injectable()
export class ServerMetrics {
  /** What `/metrics` renders. */
  readonly registry = new Registry();

  /** Time from a socket event reaching its handler to its ack, by event name. */
  readonly socketEventSeconds = new Histogram({
    name: 'switchboard_socket_event_duration_seconds',
    help: 'Time from a socket event reaching its gateway handler to its ack, by event name.',
    labelNames: ['event'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Duration of each database statement, by kind and whether it failed. */
  readonly databaseQuerySeconds = new Histogram({
    name: 'switchboard_database_query_duration_seconds',
    help: 'Duration of database statements, by kind (select, insert, update, delete, other) and outcome (ok, error).',
    labelNames: ['statement', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Calls ended, by outcome, as delivered to this node's ledger reactions. */
  readonly callsEnded = new Counter({
    name: 'switchboard_calls_ended_total',
    help: 'Calls ended, by outcome, counted by the node that delivered the ledger event (sum over nodes).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** The statement histogram's series by kind and outcome, looked up once (labelling per observation hashes the labels each time). */
  private readonly querySeries = new Map<string, ReturnType<Histogram<'statement' | 'outcome'>['labels']>>();

  /**
   * Each statement text's kind, worked out once: the app runs a few dozen statements over and
   * over (prepared, see `prepared-queries.ts`). Bounded: past {@link MAX_KNOWN_STATEMENTS} texts
   * (a history page's filters make a statement of their own each) the kind is worked out each time.
   */
  private readonly statementKinds = new Map<string, string>();

  /** Kysely's `log` hook: times every statement (tens per call setup). */
  readonly logQuery = (event: LogEvent): void => {
    const text = event.query.sql;
    let statement = this.statementKinds.get(text);
    if (statement === undefined) {
      statement = statementKind(text);
      if (this.statementKinds.size < MAX_KNOWN_STATEMENTS) this.statementKinds.set(text, statement);
    }
    const outcome = event.level === 'error' ? 'error' : 'ok';
    const key = `${statement} ${outcome}`;
    let series = this.querySeries.get(key);
    if (!series) this.querySeries.set(key, (series = this.databaseQuerySeconds.labels({ statement, outcome })));
    series.observe(event.queryDurationMillis / 1000);
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every outcome is reported from the start (0), so rates and sums never miss a series.
    for (const outcome of CALL_OUTCOMES) this.callsEnded.inc({ outcome }, 0);
  }
}
