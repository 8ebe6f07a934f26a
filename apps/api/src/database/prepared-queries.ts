import { CompiledQuery, PostgresAdapter, sql, type Compilable, type Kysely, type OperationNodeSource, type QueryResult } from 'kysely';
import { RESULT_UNREAD } from './postgres-statements';
import type { Database } from './schema';
import { directNow, readingNow } from './sqlite-statements';

/** Each site's SQL text by its shape, per dialect (a Kysely instance and its transactions share their adapter). */
const texts = new WeakMap<object, Map<string, string | null>>();

/** Per dialect, the keys whose query did not take its values as its parameters one for one (built every time). */
const builtEachTime = new WeakMap<object, Set<string>>();

/**
 * The sites of {@link runPrepared} on `db` (its app's database) whose query is built anew
 * every time (a `build` that adds parameters of its own, e.g. a literal null in `values()`):
 * correct, but paying the cost it was meant to save. The call path's sites must have none (an
 * e2e checks whole calls).
 */
export function statementsBuiltEachTime(db: Kysely<Database>): string[] {
  return [...(builtEachTime.get(db.getExecutor().adapter) ?? [])];
}

/**
 * Runs a statement whose SQL text depends only on `key` (its site and shape), with `values`
 * as its parameters, building it with Kysely only the first time per dialect. Kysely otherwise
 * builds, freezes and compiles a query tree for every statement, which for the ledger's short
 * statements costs about as much CPU as SQLite running them.
 *
 * On SQLite, inside the ledger's grouped transactions (`withDirectStatements`) and outside
 * transactions while the connection is idle, the statement runs on the connection itself
 * (`SqliteDirect`), without Kysely's executor; outside transactions while the connection is
 * taken, a read runs at once on the database's read-only connection (`readingNow`).
 *
 * `build` must put each of `values` in the query as a parameter, in that order, and must not
 * decide anything from them (`is null` or `=` depends on the value: put that in `key`). The
 * first build is checked with placeholder values: a query that does not take them as its
 * parameters one for one is built anew every time (correct, only not faster).
 */
export async function runPrepared<R>(
  db: Kysely<Database>,
  key: string,
  values: readonly unknown[],
  build: (values: readonly unknown[]) => Compilable<R>,
  options: PreparedOptions = {},
): Promise<QueryResult<R>> {
  const adapter = db.getExecutor().adapter;
  const unread = options.resultUnread === true && adapter instanceof PostgresAdapter;
  let byKey = texts.get(adapter);
  if (!byKey) texts.set(adapter, (byKey = new Map()));
  let text = byKey.get(key);
  if (text === undefined) {
    const placeholders = values.map((_, i) => `\u0000prepared:${i}\u0000`);
    const compiled = build(placeholders).compile();
    const parameters = compiled.parameters;
    text = parameters.length === placeholders.length && parameters.every((p, i) => p === placeholders[i]) ? (unread ? RESULT_UNREAD : '') + compiled.sql : null;
    byKey.set(key, text);
    if (text === null) {
      let keys = builtEachTime.get(adapter);
      if (!keys) builtEachTime.set(adapter, (keys = new Set()));
      keys.add(key);
    }
  }
  if (text !== null) {
    const direct = directNow(db);
    if (direct) return direct.execute<R>(text, values);
    const read = readingNow(db)?.executeIfReading<R>(text, values);
    return read ?? db.executeQuery<R>(CompiledQuery.raw(text, [...values]));
  }
  const built = build(values).compile();
  return db.executeQuery<R>(unread ? markedUnread(built) : built);
}

function markedUnread(query: CompiledQuery): CompiledQuery {
  return CompiledQuery.raw(RESULT_UNREAD + query.sql, [...query.parameters]);
}

/**
 * Runs `query`, built by Kysely as usual, as a statement whose result nobody reads but its
 * success (see {@link PreparedOptions.resultUnread}): on PostgreSQL, inside a transaction, it
 * goes out with the next statement.
 */
export async function runUnread(db: Kysely<Database>, query: Compilable<unknown>): Promise<void> {
  const compiled = query.compile();
  await db.executeQuery(db.getExecutor().adapter instanceof PostgresAdapter ? markedUnread(compiled) : compiled);
}

/** A write for {@link runPrepared} whose result nobody reads, to be run with others ({@link runUnreadTogether}). */
export interface UnreadWrite {
  /** Its site and shape, as {@link runPrepared}'s `key`. */
  key: string;
  values: readonly unknown[];
  /** As {@link runPrepared}'s `build`, as a Kysely query (so that it can be put inside another statement). */
  build: (values: readonly unknown[]) => Compilable<unknown> & OperationNodeSource;
}

/**
 * Runs `writes`, whose results nobody reads, as one statement on PostgreSQL: each but the
 * last in a data-modifying `with`, held like any unread statement (see
 * {@link PreparedOptions.resultUnread}). The server starts one executor and answers one
 * statement instead of one per write, its largest cost per statement beside the round trips
 * the holding already saves. Elsewhere (SQLite has no data-modifying `with`) they run one
 * after another, each under its own key.
 *
 * The writes of one statement all see the rows as they were before it, in no order: they must
 * not depend on one another — no two touch the same rows, none reads a table another writes
 * (e.g. deletes of a call's rows from different tables, or a delete and an upsert of another
 * kind of row), so that together they do exactly what they would one after another. When two
 * do depend (a deadline cancelled and set again of the same kind, a row deleted and re-inserted,
 * a read of `max(seq)` beside an insert into that table), PostgreSQL need not fail: one part
 * can silently win or skip the row (a deadline deleted and upserted in one statement is left
 * set, whichever comes first), so run them as separate statements. SQLite runs
 * them in the order given, which hides such a mistake: the specs on PostgreSQL must show it.
 *
 * Each write is a plain insert, update or delete (not itself a `with` holding a data-modifying
 * part: PostgreSQL allows those only at the top level), and there is at least one.
 */
export async function runUnreadTogether(db: Kysely<Database>, writes: readonly UnreadWrite[]): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter) || writes.length === 1) {
    for (const write of writes) await runUnreadWrite(db, write);
    return;
  }
  const values = writes.flatMap((write) => write.values);
  await runPrepared(
    db,
    writes.map((write) => write.key).join(' + '),
    values,
    (params) => {
      let at = 0;
      const built = writes.map((write) => write.build(params.slice(at, (at += write.values.length))));
      const last = built.pop() as OperationNodeSource;
      const earlier = built.map((write, i) => sql`${sql.raw(`w${i}`)} as (${write})`);
      return { compile: () => sql`with ${sql.join(earlier)} ${last}`.compile(db) };
    },
    { resultUnread: true },
  );
}

/** Runs one {@link UnreadWrite} on its own, as {@link runPrepared} with `resultUnread`. */
export async function runUnreadWrite(db: Kysely<Database>, { key, values, build }: UnreadWrite): Promise<void> {
  await runPrepared(db, key, values, build, { resultUnread: true });
}

/** How {@link runPrepared} runs a statement. */
export interface PreparedOptions {
  /**
   * Nothing of the result is read but its success (an insert of a row no one reads back, a
   * delete whose count does not matter): on PostgreSQL, inside a transaction, the statement
   * goes out with the next one and its error is thrown by that one or by the commit (see
   * `RESULT_UNREAD`). The key must always be run with the same value of this.
   */
  resultUnread?: boolean;
}

/** Rows a prepared UPDATE, DELETE or INSERT changed. */
export function changedRows(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0n);
}
