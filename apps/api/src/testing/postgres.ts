import { Client } from 'pg';

/** Admin connections tried in order (trust auth on this project's machines); override with TEST_PG_ADMIN_URL. */
const ADMIN_URLS = process.env['TEST_PG_ADMIN_URL']
  ? [process.env['TEST_PG_ADMIN_URL']]
  : ['postgres://root@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/postgres'];

/** A throw-away PostgreSQL database. */
export interface TestPostgresDatabase {
  /** Connection URL of the new database (use as DATABASE_URL). */
  url: string;
  /** Drops the database (close your own connections first). */
  drop(): Promise<void>;
}

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
        await admin.client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.client.end();
      }
    },
  };
}
