import { ComponentHarness } from '@angular/cdk/testing';

/** Harness for the call quality indicator (`sb-call-quality`). */
export class CallQualityHarness extends ComponentHarness {
  /** The indicator's host selector. */
  static hostSelector = 'sb-call-quality';

  private readonly quality = this.locatorForOptional('.quality .text');
  private readonly warning = this.locatorFor('.warning');

  /** "Call quality: good (MOS 4.4)", or null before the first sample. */
  async getQualityText(): Promise<string | null> {
    return (await (await this.quality())?.text()) ?? null;
  }

  /** The warning ("Warning: packet loss, low MOS"), or '' without one. */
  async getWarning(): Promise<string> {
    return (await this.warning()).text();
  }

  /** Whether the warning is announced politely to screen readers (a `status` live region). */
  async isWarningLive(): Promise<boolean> {
    return (await (await this.warning()).getAttribute('role')) === 'status';
  }
}
