import { createHash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { Query, type FieldDef, type Pool, type PoolClient } from 'pg';
import { databaseErrorCode } from './database-errors';

/** Most named statements one connection prepares (the app runs a few dozen distinct ones). */
export const POSTGRES_NAMED_STATEMENTS_PER_CONNECTION = 200;

/** The name a SQL text is prepared under: stable across connections and nodes, from a hash of the text. */
export function statementName(sql: string): string {
  return `sb_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
}

// Only plain DML is worth a server-side plan; transaction control and DDL run unnamed.
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
const TRANSACTION_START = /^\s*(begin|start transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|rollback|end)\b(?!\s+to\b)/i;

/** What a SQL text does, as far as the connection cares. */
type TextKind = 'start' | 'commit' | 'rollback' | 'preparable' | 'other';

/** A SQL text's statement name and kind. */
interface TextInfo {
  /** The SQL text sent, without {@link RESULT_UNREAD}. */
  sql: string;
  /** Whether the text came marked {@link RESULT_UNREAD}. */
  unread: boolean;
  name: string;
  kind: TextKind;
  /** A plain `select` that locks no rows: changes nothing (the app calls no writing functions from its selects). */
  readOnly: boolean;
  /** For transaction control, the command a statement not sent answers with (`BEGIN`, `COMMIT`, …). */
  command: string;
}

const SELECT = /^\s*select\b/i;
/** A select that takes row locks (`for update`, `for no key update`, `for share`, …): it changes what other transactions wait for. */
const LOCKING = /\bfor\s+(no\s+key\s+update|update|key\s+share|share)\b/i;

function kindOf(sql: string): TextKind {
  if (TRANSACTION_START.test(sql)) return 'start';
  if (TRANSACTION_END.test(sql)) return /^\s*rollback\b/i.test(sql) ? 'rollback' : 'commit';
  return PREPARABLE.test(sql) ? 'preparable' : 'other';
}

/** A result's columns as pg builds them from the server's RowDescription, kept per statement name ({@link NamedQuery}). */
interface RowShape {
  fields: readonly FieldDef[];
  parsers: unknown;
  prebuilt: unknown;
}

/** The parts of pg's `Result` (lib/result.js) a {@link NamedQuery} sets itself. */
interface PgResult {
  command: string | null;
  fields: readonly FieldDef[];
  _parsers: unknown;
  _prebuiltEmptyResultObject: unknown;
}

function sameFields(a: readonly FieldDef[], b: readonly FieldDef[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].dataTypeID !== b[i].dataTypeID || a[i].format !== b[i].format) return false;
  return true;
}

/**
 * pg's `Query` for a named statement, whose result's columns are worked out once per name:
 * the server describes them anew on every execution (same protocol: pg asks), and pg's
 * `addFields` then builds each column's parser and a dictionary-mode template row for every
 * result — ~2.5 % of the API's CPU under the gateway bench on PostgreSQL. The same name is the
 * same text, so the same columns, unless the table changed (another node migrated): the
 * description is compared with the one kept, and a different one is built as pg does and kept.
 * The parsers kept are pg's defaults for those types: the pool is shared, so a client's own
 * type parsers (`setTypeParser`, a pool's `types`) would not be seen — the app sets none.
 */
class NamedQuery extends Query {
  constructor(
    text: string,
    values: unknown[],
    callback: (err: Error | undefined, result: unknown) => void,
    private readonly shapes: Map<string, RowShape>,
  ) {
    super(text, values, callback as never);
  }

  handleRowDescription(msg: { fields: FieldDef[] }): void {
    const self = this as unknown as { name: string; _result: PgResult; _accumulateRows: boolean };
    const result = self._result;
    const shape = this.shapes.get(self.name);
    // `command` set: a second result of one query (not a named statement's): pg's own way.
    if (shape === undefined || result.command || !sameFields(shape.fields, msg.fields)) {
      (Query.prototype as unknown as { handleRowDescription(m: unknown): void }).handleRowDescription.call(this, msg);
      if (!result.command) {
        if (this.shapes.size >= POSTGRES_NAMED_STATEMENTS_PER_CONNECTION * 4) this.shapes.clear();
        this.shapes.set(self.name, { fields: msg.fields, parsers: result._parsers, prebuilt: result._prebuiltEmptyResultObject });
      }
      return;
    }
    result.fields = msg.fields;
    result._parsers = shape.parsers;
    result._prebuiltEmptyResultObject = shape.prebuilt;
    // As pg's: a query with a callback keeps its rows.
    self._accumulateRows = true;
  }
}

/** What one pool connection has prepared. */
interface ConnectionStatements {
  /** SQL texts prepared on this connection under {@link statementName}. */
  named: Set<string>;
  /** Texts whose prepared plan the server refused after a schema change: run unnamed from now on. */
  stale: Set<string>;
  inTransaction: boolean;
}

/**
 * The pool Kysely's `PostgresDialect` is given, whose connections run repeated DML as named
 * prepared statements (a pg `Query` with a `name`): the server parses and plans each SQL
 * text once per connection instead of on every query. A text is named the second time the pool
 * sees it (one-off SQL stays unnamed), and each connection names at most `maxPerConnection`
 * texts; beyond that, new texts run unnamed there.
 *
 * After a schema change (another node migrated) the server may refuse a prepared plan whose
 * result columns changed ("cached plan must not change result type"): outside a transaction
 * the query is retried unnamed and that text stays unnamed on that connection; inside one the
 * error is the caller's, as the transaction is already aborted.
 */
export function withNamedStatements(pool: Pool, maxPerConnection = POSTGRES_NAMED_STATEMENTS_PER_CONNECTION): PostgresPool {
  const seen = new Set<string>();
  // What a text is, worked out once per text: hashing it for its name on every query cost ~2 %
  // of the API's CPU under load, and the patterns below a little more. Keyed by the text as
  // Kysely passes it (with RESULT_UNREAD if marked), so a repeated text is one map lookup.
  const texts = new Map<string, TextInfo>();
  const infoOf = (text: string): TextInfo => {
    let info = texts.get(text);
    if (info === undefined) {
      if (texts.size >= maxPerConnection * 4) texts.clear();
      const unread = text.startsWith(RESULT_UNREAD);
      const sql = unread ? text.slice(RESULT_UNREAD.length) : text;
      const kind = kindOf(sql);
      const command = kind === 'start' ? 'BEGIN' : kind === 'commit' || kind === 'rollback' ? sql.trim().toUpperCase() : '';
      texts.set(text, (info = { sql, unread, name: statementName(sql), kind, readOnly: SELECT.test(sql) && !LOCKING.test(sql), command }));
    }
    return info;
  };
  const shapes = new Map<string, RowShape>();
  const wrappers = new WeakMap<PoolClient, PostgresPoolClient>();
  const seenOnce = (sql: string): boolean => {
    if (seen.has(sql)) return true;
    // Bounded like the connections: a flood of distinct texts only restarts the count.
    if (seen.size >= maxPerConnection * 4) seen.clear();
    seen.add(sql);
    return false;
  };
  const wrapperOf = (client: PoolClient): PostgresPoolClient => {
    let wrapper = wrappers.get(client);
    if (!wrapper) {
      wrapper = namingClient(client, { named: new Set(), stale: new Set(), inTransaction: false }, seenOnce, infoOf, maxPerConnection, shapes);
      // Kysely keys its connections by client object: the same client gets the same wrapper.
      wrappers.set(client, wrapper);
    }
    return wrapper;
  };
  return {
    // pg-pool's callback form: its promise form adds a promise and a `.catch` per checkout (one per
    // statement outside a transaction).
    connect: () => new Promise((resolve, reject) => pool.connect((err, client) => (err || !client ? reject(err) : resolve(wrapperOf(client))))),
    end: () => pool.end(),
  };
}

/**
 * Put before a statement's SQL text (PostgreSQL; see `runPrepared`'s `resultUnread`): the
 * caller reads nothing of its result but its success. Inside a transaction such a statement is
 * held and sent with the next one, in the same write, and its error (if any) is what that next
 * one (or the commit) throws; outside a transaction it runs as any other.
 */
export const RESULT_UNREAD = '/* result unread */ ';

/** What a statement whose answer is still on its way ended in. */
type Sent = Promise<{ error: unknown } | null>;

/** The answer a statement that was not sent (yet) stands in with: no rows, no count (Kysely reads a count only for DML commands). */
function notSent(command: string): PostgresQueryResult<unknown> {
  return { command, rowCount: null, rows: [] } as unknown as PostgresQueryResult<unknown>;
}

function namingClient(
  client: PoolClient,
  state: ConnectionStatements,
  seenOnce: (sql: string) => boolean,
  infoOf: (text: string) => TextInfo,
  max: number,
  shapes: Map<string, RowShape>,
): PostgresPoolClient {
  const gathered = gatheringWrites(client);
  /**
   * Sends one statement, named if its text is prepared here (or is now), and answers with pg's
   * result. pg's `Query` is built from the text (not from a config object, which pg copies
   * property by property) and given a callback: the one promise is this one, where
   * `client.query(config)` would add its own and a `.catch`.
   */
  const execute = (info: TextInfo, values: unknown[]): Promise<PostgresQueryResult<unknown>> => {
    const { sql, kind } = info;
    if (kind === 'start') state.inTransaction = true;
    else if (kind === 'commit' || kind === 'rollback') state.inTransaction = false;
    const named = state.named.has(sql) || (kind === 'preparable' && !state.stale.has(sql) && state.named.size < max && seenOnce(sql));
    if (named) state.named.add(sql);
    // Whether it runs inside a transaction, as it is sent: by the time its error arrives the
    // commit may already have gone out behind it (held statements), and a retry would then run
    // it on its own, outside the transaction the server has just rolled back.
    const inTransaction = state.inTransaction;
    return new Promise((resolve, reject) => {
      const send = (name: string | undefined): void => {
        const answered = (err: Error | undefined, result: unknown): void => {
          if (!err) return resolve(result as PostgresQueryResult<unknown>);
          if (name === undefined || databaseErrorCode(err) !== '0A000' || inTransaction) return reject(err);
          state.named.delete(sql);
          state.stale.add(sql);
          send(undefined);
        };
        const query = name === undefined ? new Query(sql, values, answered as never) : new NamedQuery(sql, values, answered, shapes);
        if (name !== undefined) (query as unknown as { name: string }).name = name;
        gathered(() => client.query(query));
      };
      send(named ? info.name : undefined);
    });
  };
  // On a pipelining connection (pg's `pipeline`: each query goes out at once with its own Sync,
  // answers come back in order) a transaction's `begin` and the statements whose results nobody
  // reads are held here and leave with the next statement, in one write (corked): each round
  // trip saved is a send system call and a wake-up of the server, the largest CPU cost per
  // statement.
  const pipelining = (client as unknown as { pipeline?: boolean }).pipeline === true;
  let begin: TextInfo | null = null;
  const held: [TextInfo, unknown[]][] = [];
  /** Whether the open transaction ran (or holds) anything but plain selects. */
  let wrote = false;
  const settle = (answer: Promise<unknown>): Sent =>
    answer.then(
      () => null,
      (error: unknown) => ({ error }),
    );
  /** Sends what is held (a `begin`, unread statements) and then `info`, in one write; answers with `info`'s result or the first held error. */
  const sendWithHeld = async (info: TextInfo, values: unknown[]): Promise<PostgresQueryResult<unknown>> => {
    const earlier: Sent[] = [];
    const answer = gathered(() => {
      if (begin !== null) earlier.push(settle(execute(begin, [])));
      begin = null;
      for (const [heldInfo, heldValues] of held.splice(0)) earlier.push(settle(execute(heldInfo, heldValues)));
      return execute(info, values);
    });
    // Its error may arrive while the earlier answers are awaited: handled (the caller gets it below).
    answer.catch(() => undefined);
    const failed = (await Promise.all(earlier)).find((outcome) => outcome !== null);
    if (failed) {
      // The transaction failed at that earlier statement (a commit after it only reports
      // ROLLBACK): its error, not "current transaction is aborted".
      await answer.catch(() => undefined);
      throw failed.error;
    }
    return answer;
  };
  const run = (text: string, values: unknown[]): Promise<PostgresQueryResult<unknown>> => {
    const info = infoOf(text);
    if (!pipelining) return execute(info, values);
    const { kind } = info;
    if (kind === 'start') {
      state.inTransaction = true;
      begin = info;
      wrote = false;
      return Promise.resolve(notSent(info.command));
    }
    if (info.unread && state.inTransaction) {
      held.push([info, values]);
      wrote = true;
      return Promise.resolve(notSent('HELD'));
    }
    const rollback = kind === 'rollback';
    // Rolled back: what was held never needs to run.
    if (rollback) held.length = 0;
    if (begin !== null && held.length === 0 && (kind === 'commit' || rollback)) {
      // A transaction that ran nothing: nothing to send.
      begin = null;
      state.inTransaction = false;
      return Promise.resolve(notSent(info.command));
    }
    // A rollback after the commit failed (the server ended the transaction then): nothing to send.
    if (rollback && !state.inTransaction) return Promise.resolve(notSent(info.command));
    if (rollback || (kind === 'commit' && !wrote && held.length === 0)) {
      // Ending a transaction whose outcome nothing waits for (undone, or it only read): sent,
      // not awaited. The connection goes back to the pool at once; whatever runs on it next is
      // pipelined behind this and runs after it. Its error, if any, would change nothing.
      execute(info, values).catch(() => undefined);
      return Promise.resolve(notSent(info.command));
    }
    if (state.inTransaction && !info.readOnly && kind !== 'commit') wrote = true;
    // Nothing held: the statement alone (pg corks its own messages into one write).
    if (begin === null && held.length === 0) return execute(info, values);
    return sendWithHeld(info, values);
  };
  return {
    // Kysely passes a copy of its parameters made for this call: pg reads them, nothing keeps them beyond the statement.
    query: ((sqlOrCursor: string | PostgresCursor<unknown>, parameters?: readonly unknown[]) =>
      typeof sqlOrCursor === 'string' ? run(sqlOrCursor, (parameters ?? []) as unknown[]) : client.query(sqlOrCursor as never)) as PostgresPoolClient['query'],
    release: () => client.release(),
  };
}

/** The part of pg's `Connection` (lib/connection.js) every protocol message goes out through. */
interface PgConnection {
  _send(buffer: Buffer): boolean;
}

/**
 * Makes what `submit` has pg send on `client`'s connection (its statements' protocol messages:
 * Parse, Bind, Describe, Execute, Sync) go out as one buffer in one socket write, after it.
 * pg writes each message to the socket stream on its own (corked: one system call, but a trip
 * through Node's stream machinery per message, then a gather of them all), five and more per
 * statement. The bytes, their order and the system calls are the same. A connection pg does
 * not build the usual way (no `_send`) sends as pg does.
 */
function gatheringWrites(client: PoolClient): <T>(submit: () => T) => T {
  const connection = (client as unknown as { connection?: Partial<PgConnection> }).connection;
  if (typeof connection?._send !== 'function') return (submit) => submit();
  const send = connection._send.bind(connection);
  let gathering: Buffer[] | null = null;
  connection._send = (buffer: Buffer): boolean => {
    if (gathering === null) return send(buffer);
    gathering.push(buffer);
    return true;
  };
  return (submit) => {
    // Inside another gathering (held statements sent with the next): that one writes.
    if (gathering !== null) return submit();
    const buffers: Buffer[] = (gathering = []);
    try {
      return submit();
    } finally {
      gathering = null;
      // What was gathered before an error goes out as it would have (pg uncorks in a `finally`).
      if (buffers.length > 0) send(buffers.length === 1 ? buffers[0] : Buffer.concat(buffers));
    }
  };
}
