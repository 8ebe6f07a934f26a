import { GroupCommit } from './group-commit';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('GroupCommit', () => {
  it('writes the items of one tick in one batch, and the ones that came during that write in the next', async () => {
    const batches: number[][] = [];
    const writes = new GroupCommit<number>(async (batch) => {
      batches.push([...batch]);
      await pause(20);
    });
    const first = [writes.add(1), writes.add(2), writes.add(3)];
    await pause(5);
    const second = [writes.add(4), writes.add(5)];
    await Promise.all([...first, ...second]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('fails the items of a failed batch only', async () => {
    let calls = 0;
    const writes = new GroupCommit<string>(async () => {
      calls++;
      await pause(10);
      if (calls === 1) throw new Error('disk I/O error');
    });
    const failed = writes.add('a');
    await pause(2);
    const kept = writes.add('b');
    await expectAsync(failed).toBeRejectedWithError('disk I/O error');
    await expectAsync(kept).toBeResolved();
  });

  it('lists the items not written yet: the batch being written, then the next one', async () => {
    // Each write waits until the test lets it finish.
    const writing: (() => void)[] = [];
    const writes = new GroupCommit<number>(() => new Promise<void>((finish) => writing.push(finish)));
    const first = writes.add(1);
    while (writing.length === 0) await pause(1);
    const second = writes.add(2);
    expect(writes.unwritten()).toEqual([1, 2]);
    writing[0]();
    await first;
    expect(writes.unwritten()).toEqual([2]);
    while (writing.length === 1) await pause(1);
    writing[1]();
    await second;
    expect(writes.unwritten()).toEqual([]);
  });

  it('fails an item the write refused on its own and stores the rest of its batch', async () => {
    const writes = new GroupCommit<string>(async (batch) => batch.map((item) => (item === 'ended call' ? new Error('The call has ended') : undefined)));
    const [kept, refused, alsoKept] = [writes.add('a'), writes.add('ended call'), writes.add('b')];
    await expectAsync(refused).toBeRejectedWithError('The call has ended');
    await expectAsync(kept).toBeResolved();
    await expectAsync(alsoKept).toBeResolved();
  });

  it('says what was added so far is written while a steady stream of items keeps it writing', async () => {
    const written: number[] = [];
    const writes = new GroupCommit<number>(async (batch) => {
      await pause(5);
      written.push(...batch);
    });
    let streaming = true;
    let n = 0;
    const stream = (async () => {
      const started = Date.now();
      while (Date.now() - started < 400) {
        void writes.add(n++);
        await pause(1);
      }
      streaming = false;
    })();
    await pause(20);
    const addedSoFar = n;
    await writes.flushed();
    expect(streaming).withContext('flushed() waited for the stream to end').toBeTrue();
    expect(written.length).toBeGreaterThanOrEqual(addedSoFar);
    await stream;
    await writes.flushed();
    expect(written.length).toBe(n);
  });
});
