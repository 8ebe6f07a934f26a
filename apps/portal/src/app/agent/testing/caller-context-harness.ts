import { ComponentHarness } from '@angular/cdk/testing';

/** Harness for the caller's context (`sb-caller-context`). */
export class CallerContextHarness extends ComponentHarness {
  /** The component's host selector. */
  static hostSelector = 'sb-caller-context';

  private readonly heading = this.locatorFor('h3');
  private readonly earlierCalls = this.locatorForAll('.calls li');
  private readonly callbacks = this.locatorForOptional('.callbacks');
  private readonly paragraphs = this.locatorForAll('p');

  /** "About <caller>". */
  async getHeading(): Promise<string> {
    return (await this.heading()).text();
  }

  /** Each earlier call listed, as its text (date, outcome and agent, disposition, notes). */
  async getEarlierCalls(): Promise<string[]> {
    return Promise.all((await this.earlierCalls()).map((li) => li.text()));
  }

  /** The open callback requests line, or null without one. */
  async getOpenCallbacks(): Promise<string | null> {
    return (await (await this.callbacks())?.text()) ?? null;
  }

  /** Everything the panel says in its paragraphs (the summary, loading or error text). */
  async getSummary(): Promise<string> {
    return (await Promise.all((await this.paragraphs()).map((p) => p.text()))).join(' ');
  }
}
