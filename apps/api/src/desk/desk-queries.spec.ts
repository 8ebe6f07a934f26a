import { describeEachDialect, queryPlan } from '../testing/each-dialect';
import { earlierCallsOf } from './desk-queries.service';

describeEachDialect('DeskQueries: the caller’s earlier calls (read on every offer)', (database, dialect) => {
  it('reads the latest of them on the caller’s calls by time, newest first', async () => {
    const { db } = database();
    const { latest } = earlierCallsOf(db, { id: 'call-1', caller_id: 'student-1', queued_at: '2026-12-07T10:00:00.000Z' });
    const plan = await queryPlan(db, dialect, latest);
    // SQLite: in time order, sorting only the calls of one instant by id (the last term), and
    // stopping at the limit — not every call of the caller read and sorted (`… FOR ORDER BY`).
    // PostgreSQL: the caller's range of calls before it, newest first (then the latest kept).
    if (dialect === 'sqlite') {
      expect(plan).toContain('USING INDEX calls_caller_queued_at_idx (caller_id=? AND queued_at<?)');
      expect(plan).not.toContain('USE TEMP B-TREE FOR ORDER BY');
    } else {
      expect(plan).toContain('Index Scan Backward using calls_caller_queued_at_idx');
    }
  });

  it('counts them on the index alone, the call itself with them (taken away by the reader)', async () => {
    const { db } = database();
    const { countWithCall } = earlierCallsOf(db, { id: 'call-1', caller_id: 'student-1', queued_at: '2026-12-07T10:00:00.000Z' });
    const plan = await queryPlan(db, dialect, countWithCall);
    // Not a look-up of each call's row (for its id) as well.
    expect(plan).toContain(dialect === 'sqlite' ? 'USING COVERING INDEX calls_caller_queued_at_idx' : 'Index Only Scan');
  });
});
