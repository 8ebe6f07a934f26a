import { ComponentHarness } from '@angular/cdk/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatInputHarness } from '@angular/material/input/testing';

/** Harness for one callback request in the agent's list (`sb-callbacks-panel article`). */
export class CallbackRequestHarness extends ComponentHarness {
  /** A request's host selector. */
  static hostSelector = 'article.callback';

  private readonly nameText = this.locatorFor('.name');
  private readonly presenceText = this.locatorFor('.presence');
  private readonly metaText = this.locatorFor('.meta');
  private readonly lifeItems = this.locatorForAll('.life li');
  private readonly noteInput = this.locatorForOptional(MatInputHarness);

  /** The name the student gave. */
  async getName(): Promise<string> {
    return (await this.nameText()).text();
  }

  /** "Signed in" or "Not signed in". */
  async getPresence(): Promise<string> {
    return (await this.presenceText()).text();
  }

  /** When it was requested, the attempts and who took it. */
  async getMeta(): Promise<string> {
    return (await this.metaText()).text();
  }

  /** The labels of its buttons, in order. */
  async getActions(): Promise<string[]> {
    const buttons = await this.locatorForAll(MatButtonHarness)();
    return Promise.all(buttons.map((b) => b.getText()));
  }

  /** Whether the button `label` is enabled. */
  async isEnabled(label: string): Promise<boolean> {
    return !(await (await this.button(label)).isDisabled());
  }

  /** Clicks the button `label` (Take, Call, Record attempt, Mark done, History, Save attempt, Cancel). */
  async click(label: string): Promise<void> {
    await (await this.button(label)).click();
  }

  /** Opens "Record attempt", types `note` and saves it. */
  async recordAttempt(note: string): Promise<void> {
    await this.click('Record attempt');
    const input = await this.noteInput();
    if (!input) throw new Error('No attempt note field');
    await input.setValue(note);
    await this.click('Save attempt');
  }

  /** The entries of its history, when shown. */
  async getLife(): Promise<string[]> {
    return Promise.all((await this.lifeItems()).map((li) => li.text()));
  }

  private button(label: string): Promise<MatButtonHarness> {
    return this.locatorFor(MatButtonHarness.with({ text: label }))();
  }
}

/** Harness for the agent's callback requests (`sb-callbacks-panel`). */
export class CallbacksPanelHarness extends ComponentHarness {
  /** The component's host selector. */
  static hostSelector = 'sb-callbacks-panel';

  private readonly alerts = this.locatorForAll('[role="alert"]');
  private readonly emptyText = this.locatorForOptional('.empty');

  /** The requests listed, in order. */
  getRequests(): Promise<CallbackRequestHarness[]> {
    return this.locatorForAll(CallbackRequestHarness)();
  }

  /** The request of the student named `name`. */
  async getRequest(name: string): Promise<CallbackRequestHarness> {
    for (const request of await this.getRequests()) if ((await request.getName()) === name) return request;
    throw new Error(`No callback request from ${name}`);
  }

  /** "No open callback requests." when there are none, else null. */
  async getEmptyText(): Promise<string | null> {
    return (await (await this.emptyText())?.text()) ?? null;
  }

  /** What went wrong, if anything. */
  async getErrors(): Promise<string[]> {
    return Promise.all((await this.alerts()).map((a) => a.text()));
  }
}
