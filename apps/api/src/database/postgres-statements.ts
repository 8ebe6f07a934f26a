import { createHash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { Pool, PoolClient, QueryConfig } from 'pg';

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
 * prepared statements (pg's `{ name, text, values }`): the server parses and plans each SQL
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
  // Hashing the text on every query cost ~2 % of the API's CPU under load: each name is made once.
  const names = new Map<string, string>();
  const nameOf = (sql: string): string => {
    let name = names.get(sql);
    if (name === undefined) {
      if (names.size >= maxPerConnection * 4) names.clear();
      names.set(sql, (name = statementName(sql)));
    }
    return name;
  };
  const wrappers = new WeakMap<PoolClient, PostgresPoolClient>();
  const seenOnce = (sql: string): boolean => {
    if (seen.has(sql)) return true;
    // Bounded like the connections: a flood of distinct texts only restarts the count.
    if (seen.size >= maxPerConnection * 4) seen.clear();
    seen.add(sql);
    return false;
  };
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = namingClient(client, { named: new Set(), stale: new Set(), inTransaction: false }, seenOnce, nameOf, maxPerConnection);
        // Kysely keys its connections by client object: the same client gets the same wrapper.
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function namingClient(client: PoolClient, state: ConnectionStatements, seenOnce: (sql: string) => boolean, nameOf: (sql: string) => string, max: number): PostgresPoolClient {
  const run = async (sql: string, values: unknown[]): Promise<PostgresQueryResult<unknown>> => {
    if (TRANSACTION_START.test(sql)) state.inTransaction = true;
    else if (TRANSACTION_END.test(sql)) state.inTransaction = false;
    const named = state.named.has(sql) || (PREPARABLE.test(sql) && !state.stale.has(sql) && state.named.size < max && seenOnce(sql));
    if (!named) return (await client.query(sql, values)) as PostgresQueryResult<unknown>;
    state.named.add(sql);
    const config: QueryConfig = { name: nameOf(sql), text: sql, values };
    try {
      return (await client.query(config)) as PostgresQueryResult<unknown>;
    } catch (err) {
      if ((err as { code?: unknown }).code !== '0A000' || state.inTransaction) throw err;
      state.named.delete(sql);
      state.stale.add(sql);
      return (await client.query(sql, values)) as PostgresQueryResult<unknown>;
    }
  };
  return {
    query: ((sqlOrCursor: string | PostgresCursor<unknown>, parameters?: readonly unknown[]) =>
      typeof sqlOrCursor === 'string' ? run(sqlOrCursor, [...(parameters ?? [])]) : client.query(sqlOrCursor as never)) as PostgresPoolClient['query'],
    release: () => client.release(),
  };
}
