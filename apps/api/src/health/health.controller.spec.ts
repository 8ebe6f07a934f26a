import { ProblemException } from '../errors/problem';
import { openTestDatabase } from '../testing/each-dialect';
import { HealthController } from './health.controller';

describe('HealthController', () => {
  it('reports ok while the database answers, and a 503 problem once it does not', async () => {
    const database = await openTestDatabase('sqlite');
    const health = new HealthController({ db: database.db, dialect: 'sqlite' });
    expect(await health.check()).toEqual({ status: 'ok', database: { dialect: 'sqlite', ok: true } });
    await database.close();
    const refusal = await health.check().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ProblemException);
    expect((refusal as ProblemException).problem).toEqual(jasmine.objectContaining({ status: 503, code: 'internal', title: 'Service Unavailable' }));
  });
});
