import { Client } from 'pg';
import type { Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { NodeDrainState } from '../src/health/node-drain-state';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { eventually } from './call-clients';
import { PrivateRedis } from '../src/testing/redis';
import { call, expectProblem } from './support';

// Failing probes make the app log errors (the deadline poll, the adapter): keep the run quiet.
const QUIET = { LOG_LEVEL: 'fatal' };

describe('Health: liveness and readiness (e2e)', () => {
  let app: TestApp | null = null;
  let pg: TestPostgresDatabase | null = null;
  let redis: PrivateRedis | null = null;
  afterEach(async () => {
    await app?.close();
    await pg?.drop();
    await redis?.stop();
    app = pg = redis = null;
  });

  it('is live and ready on SQLite; keeps /api/health as it was; not ready, with the reason, once the database is gone', async () => {
    app = await startTestApp(QUIET);
    expect((await call(app.url, 'GET', '/api/health')).body).toEqual({ status: 'ok', database: { dialect: 'sqlite', ok: true } });
    expect((await call(app.url, 'GET', '/api/health/live')).status).toBe(200);
    const ready = await call(app.url, 'GET', '/api/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual(jasmine.objectContaining({ status: 'ok', details: { database: { status: 'up', dialect: 'sqlite' }, node: { status: 'up' } } }));

    await app.app.get<Kysely<Database>>(DATABASE).destroy();
    expect(expectProblem(await call(app.url, 'GET', '/api/health/ready'), 503, 'unavailable').detail).toContain('database');
    expectProblem(await call(app.url, 'GET', '/api/health'), 503, 'internal');
    expect((await call(app.url, 'GET', '/api/health/live')).status).toBe(200);
  });

  it('is not ready while its PostgreSQL database is gone', async () => {
    pg = await createTestPostgresDatabase();
    app = await startTestApp({ ...QUIET, DATABASE_URL: pg.url });
    expect((await call(app.url, 'GET', '/api/health/ready')).status).toBe(200);
    const name = new URL(pg.url).pathname.slice(1);
    const admin = new Client({ connectionString: new URL('/postgres', pg.url).toString() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const res = await call(app.url, 'GET', '/api/health/ready');
    expect(expectProblem(res, 503, 'unavailable').detail).toContain('the postgres database does not answer');
    expect((await call(app.url, 'GET', '/api/health/live')).status).toBe(200);
  });

  it('is not ready while its Redis is down, and ready again when it is back', async () => {
    redis = await PrivateRedis.start();
    app = await startTestApp({ ...QUIET, REDIS_URL: redis.url });
    const ready = await call(app.url, 'GET', '/api/health/ready');
    expect(ready.status).withContext(ready.text).toBe(200);
    expect(ready.body).toEqual(jasmine.objectContaining({ details: jasmine.objectContaining({ redis: { status: 'up' } }) }));

    await redis.stop();
    const down = await call(app.url, 'GET', '/api/health/ready');
    expect(expectProblem(down, 503, 'unavailable').detail).toContain('redis: Redis does not answer');

    await redis.resume();
    const url = app.url;
    await eventually(async () => (await call(url, 'GET', '/api/health/ready')).status === 200, 10_000);
  });

  it('is not ready while draining, still live', async () => {
    app = await startTestApp(QUIET);
    app.app.get(NodeDrainState).begin();
    expect(expectProblem(await call(app.url, 'GET', '/api/health/ready'), 503, 'unavailable').detail).toContain('node: draining');
    expect((await call(app.url, 'GET', '/api/health/live')).status).toBe(200);
  });
});
