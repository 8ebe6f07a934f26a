import { Client } from 'pg';
import { createTestPostgresDatabase } from './postgres';

describe('createTestPostgresDatabase', () => {
  it('drops only once the database’s connections are gone, never killing one still closing', async () => {
    const pg = await createTestPostgresDatabase();
    const client = new Client({ connectionString: pg.url });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    await client.connect();
    await client.query('select 1');

    let dropped = false;
    const drop = pg.drop().then(() => (dropped = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dropped).withContext('dropped while a connection was open').toBeFalse();
    expect(errors).toEqual([]);

    await client.end();
    await drop;
    expect(errors).toEqual([]);
    const check = new Client({ connectionString: pg.url });
    await expectAsync(check.connect()).toBeRejectedWithError(/does not exist/);
  });
});
