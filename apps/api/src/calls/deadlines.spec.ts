import { runUnreadTogether } from '../database/prepared-queries';
import type { DeadlineRow } from '../database/schema';
import { describeEachDialect } from '../testing/each-dialect';
import { Deadlines, STALE_CLAIM_MS } from './deadlines';

describeEachDialect('Deadlines', (database) => {
  let deadlines: Deadlines;
  const t0 = new Date('2026-03-01T10:00:00.000Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  beforeEach(() => (deadlines = new Deadlines(database().db)));
  afterEach(async () => {
    await database().db.deleteFrom('deadlines').execute();
  });

  it('hands a due deadline to exactly one node', async () => {
    await deadlines.schedule('ring_timeout', 'call-1', at(1000));
    expect(await deadlines.claimDue('node-a', at(999))).toEqual([]);
    const [claimedA, claimedB] = await Promise.all([deadlines.claimDue('node-a', at(1000)), deadlines.claimDue('node-b', at(1000))]);
    expect(claimedA.length + claimedB.length).toBe(1);
    const [row] = [...claimedA, ...claimedB];
    expect(row).toEqual(jasmine.objectContaining({ kind: 'ring_timeout', subject_id: 'call-1' }));
    await deadlines.complete(row);
    expect(await database().db.selectFrom('deadlines').selectAll().execute()).toEqual([]);
  });

  it('keeps one deadline per kind and subject, moved by rescheduling', async () => {
    await deadlines.schedule('max_wait', 'call-2', at(1000));
    await deadlines.schedule('max_wait', 'call-2', at(5000));
    await deadlines.scheduleIfAbsent('max_wait', 'call-2', at(100));
    const rows = await database().db.selectFrom('deadlines').selectAll().execute();
    expect(rows.map((r) => r.due_at)).toEqual([at(5000).toISOString()]);
  });

  it('does not delete a deadline rescheduled while its old time was being handled', async () => {
    await deadlines.schedule('ring_timeout', 'call-3', at(0));
    const [row] = await deadlines.claimDue('node-a', at(0));
    await deadlines.schedule('ring_timeout', 'call-3', at(20_000));
    await deadlines.complete(row);
    expect((await database().db.selectFrom('deadlines').selectAll().execute()).length).toBe(1);
  });

  it('tells whether a claimed deadline is still as claimed, and completes it only then: not once cancelled, moved, taken over or renewed', async () => {
    const claim = async (subject: string, node = 'node-a', now = at(0)) => (await deadlines.claimDue(node, now)).find((r) => r.subject_id === subject);
    await deadlines.schedule('presence_grace', 'kept', at(0));
    const kept = await claim('kept');
    if (!kept) throw new Error('not claimed');
    expect(await deadlines.isClaimed(kept)).toBeTrue();
    expect(await deadlines.isClaimed({ ...kept, claimed_by: null, claimed_at: null })).withContext('as it was before the claim').toBeFalse();
    expect(await deadlines.complete(kept)).toBeTrue();
    expect(await deadlines.isClaimed(kept)).withContext('completed').toBeFalse();
    expect(await deadlines.complete(kept)).withContext('completed twice').toBeFalse();

    const changes: [string, (row: DeadlineRow) => Promise<unknown>][] = [
      ['cancelled', (row) => deadlines.cancel(row.subject_id, 'presence_grace')],
      ['moved', (row) => deadlines.schedule('presence_grace', row.subject_id, at(30_000))],
      ['cancelled and set again', async (row) => (await deadlines.cancel(row.subject_id, 'presence_grace'), await deadlines.schedule('presence_grace', row.subject_id, at(30_000)))],
      ['taken over', () => deadlines.claimDue('node-b', at(STALE_CLAIM_MS + 1))],
      ['renewed', (row) => deadlines.refreshClaim(row)],
    ];
    for (const [subject, change] of changes) {
      await deadlines.schedule('presence_grace', subject, at(0));
      const row = await claim(subject);
      if (!row) throw new Error(`${subject}: not claimed`);
      await change(row);
      expect(await deadlines.isClaimed(row)).withContext(subject).toBeFalse();
      expect(await deadlines.complete(row)).withContext(subject).toBeFalse();
    }
    const left = await database().db.selectFrom('deadlines').select(['subject_id', 'due_at']).orderBy('subject_id').execute();
    expect(left.map((r) => r.subject_id)).withContext('what the changes left, untouched by the completions').toEqual(['cancelled and set again', 'moved', 'renewed', 'taken over']);
  });

  it('lets another node take over a claim that went stale (its node died)', async () => {
    await deadlines.schedule('presence_grace', 'user-1', at(0));
    expect((await deadlines.claimDue('node-a', at(0))).length).toBe(1);
    expect(await deadlines.claimDue('node-b', at(1000))).toEqual([]);
    expect((await deadlines.claimDue('node-b', at(STALE_CLAIM_MS + 1))).map((r) => r.claimed_by)).toEqual(['node-b']);
  });

  it('replaces a subject\'s deadlines of some kinds by one of another kind, as cancelling and then setting would', async () => {
    await deadlines.schedule('ring_timeout', 'call-5', at(0));
    await deadlines.schedule('max_wait', 'call-5', at(0));
    await deadlines.schedule('ring_timeout', 'call-6', at(0));
    // One already set and claimed by a node: moved, and unclaimed again, as `schedule` does.
    await deadlines.schedule('media_timeout', 'call-5', at(1000));
    await database().db.updateTable('deadlines').set({ claimed_by: 'node-a', claimed_at: at(0).toISOString() }).where('kind', '=', 'media_timeout').execute();
    await runUnreadTogether(database().db, deadlines.replacing('call-5', ['ring_timeout', 'max_wait'], 'media_timeout', at(30_000)));
    const rows = await database().db.selectFrom('deadlines').select(['kind', 'subject_id', 'due_at', 'claimed_by']).orderBy('subject_id').execute();
    expect(rows).toEqual([
      { kind: 'media_timeout', subject_id: 'call-5', due_at: at(30_000).toISOString(), claimed_by: null },
      { kind: 'ring_timeout', subject_id: 'call-6', due_at: at(0).toISOString(), claimed_by: null },
    ]);
    expect(() => deadlines.replacing('call-6', ['ring_timeout'], 'ring_timeout', at(0))).toThrowError(/both cancelled and set/);
  });

  it('cancels by subject and kind', async () => {
    await deadlines.schedule('ring_timeout', 'call-4', at(0));
    await deadlines.schedule('max_wait', 'call-4', at(0));
    await deadlines.cancel('call-4', 'ring_timeout');
    const rows = await database().db.selectFrom('deadlines').select('kind').execute();
    expect(rows.map((r) => r.kind)).toEqual(['max_wait']);
  });
});
