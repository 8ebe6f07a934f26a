import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';

/**
 * How many statements this process sends to PostgreSQL while `work` runs (each `query` of a
 * pg client: a statement, a `begin` or a `commit`), e.g. to check that writes of one
 * transaction went as one statement. Pipelined statements count one each, however few
 * socket writes carry them (see `writesDuring`).
 */
export async function statementsDuring(work: () => Promise<unknown>): Promise<number> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let statements = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    statements++;
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    proto.query = original;
  }
  return statements;
}

/**
 * The SQL of every statement this process runs while `work` runs, on either database: each
 * PostgreSQL query (a folded write is one text holding its parts) and each SQLite statement
 * better-sqlite3 runs (the app's connection and its read-only one), in the order they ran.
 */
export async function sqlDuring(work: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [config] = args;
    texts.push(typeof config === 'string' ? config : String((config as { text?: unknown } | null)?.text ?? ''));
    return query.apply(this, args);
  };
  const statement = sqliteStatementPrototype();
  const originals = SQLITE_RUNS.map((method) => [method, statement[method]] as const);
  for (const [method, original] of originals) {
    statement[method] = function (this: { source: string }, ...args: unknown[]) {
      texts.push(this.source);
      return original.apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    proto.query = query;
    for (const [method, original] of originals) statement[method] = original;
  }
  return texts;
}

const SQLITE_RUNS = ['run', 'get', 'all', 'iterate'] as const;

/** better-sqlite3's `Statement.prototype`, which every connection's statements share. */
function sqliteStatementPrototype(): Record<(typeof SQLITE_RUNS)[number], (...args: unknown[]) => unknown> {
  const probe = new BetterSqlite3(':memory:');
  try {
    return Object.getPrototypeOf(probe.prepare('select 1'));
  } finally {
    probe.close();
  }
}
