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
