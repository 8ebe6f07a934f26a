import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { createTempDir } from '../src/testing/temp-dir';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_USERS, call, expectProblem, signIn } from './support';

describe('API on PostgreSQL (e2e)', () => {
  let pg: TestPostgresDatabase;
  let app: TestApp;
  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
    app = await startTestApp({ DATABASE_URL: pg.url });
    await app.seed(DEMO_USERS);
  });
  afterAll(async () => {
    await app?.close();
    await pg?.drop();
  });

  it('migrates at start, reports postgres in health, and signs users in', async () => {
    expect((await call(app.url, 'GET', '/api/health')).body).toEqual({ status: 'ok', database: { dialect: 'postgres', ok: true } });
    expect((await signIn(app.url, 'agent')).user.displayName).toBe('Alex Agent');
  });
});

describe('API serving the portal (e2e)', () => {
  let portal: ReturnType<typeof createTempDir>;
  let app: TestApp;
  beforeAll(async () => {
    portal = createTempDir();
    writeFileSync(join(portal.path, 'index.html'), '<!doctype html><title>Switchboard</title><sb-root></sb-root>');
    mkdirSync(join(portal.path, 'assets'));
    writeFileSync(join(portal.path, 'assets', 'app.js'), 'console.log("portal")');
    app = await startTestApp({ PORTAL_DIR: portal.path });
  });
  afterAll(async () => {
    await app?.close();
    portal.remove();
  });

  it('serves built files and falls back to index.html for portal routes', async () => {
    const asset = await call(app.url, 'GET', '/assets/app.js');
    expect(asset.text).toContain('portal');
    for (const path of ['/', '/agent', '/supervisor/calls/123']) {
      const page = await call(app.url, 'GET', path);
      expect(page.status).withContext(path).toBe(200);
      expect(page.contentType).toMatch(/text\/html/);
      expect(page.text).toContain('<sb-root>');
    }
  });

  it('keeps /api answers (and /api 404s) as the API’s, never index.html', async () => {
    expect((await call(app.url, 'GET', '/api/health')).status).toBe(200);
    expectProblem(await call(app.url, 'GET', '/api/nope'), 404, 'not_found');
    expectProblem(await call(app.url, 'GET', '/api'), 404, 'not_found');
    expectProblem(await call(app.url, 'POST', '/api/auth/login', { body: '{bad' }), 400, 'bad_request');
  });
});

describe('API without a portal build (e2e)', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp()));
  afterAll(() => app.close());

  it('still serves the API, and other paths are 404 problems', async () => {
    expect((await call(app.url, 'GET', '/api/health')).status).toBe(200);
    expectProblem(await call(app.url, 'GET', '/agent'), 404, 'not_found');
  });
});
