import { Client } from 'pg';

/** Admin connections tried in order (trust auth on this project's machines); override with TEST_PG_ADMIN_URL. */
const ADMIN_URLS = process.env['TEST_PG_ADMIN_URL']
  ? [process.env['TEST_PG_ADMIN_URL']]
  : ['postgres://root@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/postgres'];

/** A throw-away PostgreSQL database. */
export interface TestPostgresDatabase {
  /** Connection URL of the new database (use as DATABASE_URL). */
  url: string;
  /**
   * Drops the database once its connections are gone: close your pools (or the app) first.
   * A pool's `end()` resolves before the server has finished closing its connections, and a
   * forced drop would kill them, which surfaces as an uncaught "terminating connection due to
   * administrator command" in whichever spec runs next.
   *
   * @throws Error if connections are still open after {@link DROP_WAIT_MS} (a leak): the
   *   database is dropped anyway and the error names them.
   */
  drop(): Promise<void>;
}

/** How long {@link TestPostgresDatabase.drop} waits for the database's connections to go. */
export const DROP_WAIT_MS = 10_000;

let sequence = 0;

async function adminClient(): Promise<{ client: Client; url: string }> {
  let lastError: unknown;
  for (const url of ADMIN_URLS) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      return { client, url };
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`No PostgreSQL for tests at ${ADMIN_URLS.join(' or ')}: ${String(lastError)}`);
}

/**
 * Creates an empty database `sb_test_<pid>_<time>_<n>` on the local server, for one suite.
 * Call `drop()` in `afterAll`.
 */
export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `sb_test_${process.pid}_${Date.now()}_${++sequence}`;
  const { client, url: adminUrl } = await adminClient();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const admin = await adminClient();
      try {
        const left = await waitUntilIdle(admin.client, name);
        await admin.client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        if (left.length > 0) throw new Error(`Test database ${name} still had ${left.length} connection(s) after ${DROP_WAIT_MS} ms (not closed?): ${left.join('; ')}`);
      } finally {
        await admin.client.end();
      }
    },
  };
}

/** Polls until `name` has no connections; what is still connected after {@link DROP_WAIT_MS}. */
async function waitUntilIdle(admin: Client, name: string): Promise<string[]> {
  const deadline = Date.now() + DROP_WAIT_MS;
  for (;;) {
    const { rows } = await admin.query<{ pid: number; state: string | null; query: string }>(
      'select pid, state, query from pg_stat_activity where datname = $1',
      [name],
    );
    if (rows.length === 0 || Date.now() > deadline) return rows.map((r) => `pid ${r.pid} ${r.state ?? ''} ${r.query.slice(0, 80)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
