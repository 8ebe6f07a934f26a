import { describeEachDialect } from '../testing/each-dialect';
import { ApiNodes } from './api-nodes';

describeEachDialect('ApiNodes', (database) => {
  let nodes: ApiNodes;
  const t0 = new Date('2026-03-01T10:00:00.000Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const SILENT_MS = 15_000;

  beforeEach(() => (nodes = new ApiNodes(database().db)));
  afterEach(async () => {
    await database().db.deleteFrom('api_nodes').execute();
  });

  it('hands a node that stopped beating to exactly one live node, and never a node still beating', async () => {
    for (const id of ['node-a', 'node-b', 'node-c']) await nodes.beat(id, t0, t0);
    await nodes.beat('node-b', t0, at(10_000));
    await nodes.beat('node-c', t0, at(10_000));
    expect(await nodes.claimSilent('node-b', at(SILENT_MS), SILENT_MS)).withContext('not silent long enough yet').toEqual([]);
    const [byB, byC] = await Promise.all([nodes.claimSilent('node-b', at(16_000), SILENT_MS), nodes.claimSilent('node-c', at(16_000), SILENT_MS)]);
    expect([...byB, ...byC]).toEqual(['node-a']);
    const claimer = byB.length > 0 ? 'node-b' : 'node-c';
    expect(await nodes.claimSilent(claimer === 'node-b' ? 'node-c' : 'node-b', at(17_000), SILENT_MS)).withContext('claimed already').toEqual([]);
    await nodes.forget(claimer, byB.length > 0 ? byB : byC);
    expect((await database().db.selectFrom('api_nodes').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['node-b', 'node-c']);
  });

  it('takes over a claim whose claimer went silent too, and keeps a node that beat again after it was claimed', async () => {
    await nodes.beat('node-a', t0, t0);
    await nodes.beat('node-b', t0, at(16_000));
    expect(await nodes.claimSilent('node-b', at(16_000), SILENT_MS)).toEqual(['node-a']);
    // node-b dies while handling it: after another silence node-c takes it over.
    await nodes.beat('node-c', t0, at(40_000));
    expect((await nodes.claimSilent('node-c', at(40_000), SILENT_MS)).sort()).toEqual(['node-a', 'node-b']);
    // node-a was only slow: it beats, and the claim handled meanwhile does not delete it.
    await nodes.beat('node-a', t0, at(40_500));
    await nodes.forget('node-c', ['node-a', 'node-b']);
    expect((await database().db.selectFrom('api_nodes').select(['id', 'claimed_by']).orderBy('id').execute())).toEqual([
      { id: 'node-a', claimed_by: null },
      { id: 'node-c', claimed_by: null },
    ]);
  });
});
