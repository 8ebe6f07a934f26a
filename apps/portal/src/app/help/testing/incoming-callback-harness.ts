import { ComponentHarness } from '@angular/cdk/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { CallPanelHarness } from '@switchboard/ui/testing';

/** Harness for the help page's incoming callback (`sb-incoming-callback`). */
export class IncomingCallbackHarness extends ComponentHarness {
  /** The component's host selector. */
  static hostSelector = 'sb-incoming-callback';

  private readonly prompt = this.locatorForOptional('[role="alertdialog"]');
  private readonly noticeText = this.locatorForOptional('.notice');
  private readonly panel = this.locatorForOptional(CallPanelHarness);

  /** Whether "The help desk is calling you back" rings. */
  async isRinging(): Promise<boolean> {
    return (await this.prompt()) !== null;
  }

  /** What the ringing prompt says (title and who calls), or null. */
  async getPromptText(): Promise<string | null> {
    return (await (await this.prompt())?.text()) ?? null;
  }

  /** Clicks Accept. */
  async accept(): Promise<void> {
    await (await this.locatorFor(MatButtonHarness.with({ text: /Accept$/ }))()).click();
  }

  /** Clicks Decline. */
  async decline(): Promise<void> {
    await (await this.locatorFor(MatButtonHarness.with({ text: /Decline$/ }))()).click();
  }

  /** The in-call panel while the callback is in progress, or null. */
  getCallPanel(): Promise<CallPanelHarness | null> {
    return this.panel();
  }

  /** What the last callback's end means for the student, or null. */
  async getNotice(): Promise<string | null> {
    return (await (await this.noticeText())?.text()) ?? null;
  }
}
