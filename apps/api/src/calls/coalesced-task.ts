/**
 * Runs a task in the background after something changed, once for all the changes of one
 * tick: a change announced while the task runs makes it run once more afterwards, so the last
 * change is never missed, and a burst costs one or two runs. With `spacingMs`, runs also start
 * at least that long apart: the changes announced meanwhile are handled together by the next
 * run, at the end of the spacing.
 */
export class CoalescedTask {
  private running: Promise<void> | null = null;
  private changedMeanwhile = false;
  private lastStarted = -Infinity;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly spacingMs = 0,
  ) {}

  /** Something changed: the task runs (returns at once). */
  announce(): void {
    if (this.running) {
      this.changedMeanwhile = true;
      return;
    }
    this.running = this.runOnce()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (this.changedMeanwhile) this.announce();
      });
  }

  /** Whether a run is pending or in progress. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once every announced change has been handled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async runOnce(): Promise<void> {
    // Let the rest of this tick's changes land (and the spacing pass), then run once for all of them.
    const wait = this.lastStarted + this.spacingMs - performance.now();
    await new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    this.changedMeanwhile = false;
    this.lastStarted = performance.now();
    await this.task();
  }
}
