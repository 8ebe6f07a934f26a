import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { withSqliteFile } from '../testing/sqlite-file';

describe('checkpointInBackground (SQLite, through openDatabase)', () => {
  it('copies committed pages into the database file without the app connection checkpointing', async () => {
    await withSqliteFile(async (db, file) => {
      await sql`create table notes (id integer primary key, body text not null)`.execute(db);
      const before = statSync(file).size;
      // ~250 pages: in the WAL, well under the 1 000 pages at which a connection checkpoints itself.
      for (let i = 0; i < 50; i++) await sql`insert into notes (body) values (${'x'.repeat(20_000)})`.execute(db);
      const deadline = Date.now() + 5_000;
      while (statSync(file).size < before + 900_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(file).size).withContext('the background connection copied the WAL in').toBeGreaterThanOrEqual(before + 900_000);
    });
  });
});
