// Kysely on SQLite with and without the statement cache (apps/api/src/database/sqlite-statements.ts),
// interleaved three times; prints the median time of 20 000 selects each and the ratio.
//
//   npm run build:api && node tools/bench/sqlite-statements.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const SQLite = require('better-sqlite3');
const { Kysely, SqliteDialect } = require('kysely');
const { withStatementCache } = require(join(process.cwd(), 'dist/api/apps/api/src/database/sqlite-statements.js'));

async function run(cached) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-statements-'));
  const file = new SQLite(join(dir, 'bench.sqlite'));
  file.exec('create table calls (id integer primary key, state text, agent_id text, created_at text, caller_id text, ringing_agent_id text)');
  file.exec('create index calls_caller on calls (caller_id)');
  const ins = file.prepare('insert into calls values (?, ?, ?, ?, ?, ?)');
  for (let i = 0; i < 1000; i++) ins.run(i, 'queued', 'a' + (i % 10), new Date().toISOString(), 'c' + i, null);
  const db = new Kysely({ dialect: new SqliteDialect({ database: cached ? withStatementCache(file) : file }) });
  const q = (i) => db.selectFrom('calls').select(['id', 'state', 'agent_id', 'created_at']).where('caller_id', '=', 'c' + (i % 1000)).where('state', 'in', ['queued', 'ringing']).orderBy('created_at').limit(1).execute();
  for (let i = 0; i < 2000; i++) await q(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) await q(i);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}
const times = { plain: [], cached: [] };
for (let k = 0; k < 3; k++) {
  times.plain.push(await run(false));
  times.cached.push(await run(true));
}
const median = (a) => [...a].sort((x, y) => x - y)[1];
console.log(`20 000 Kysely selects on SQLite: prepared each time ${median(times.plain).toFixed(0)} ms, cached statements ${median(times.cached).toFixed(0)} ms, ratio ${(median(times.plain) / median(times.cached)).toFixed(2)}`);
