import { BaseHarnessFilters, ComponentHarness, HarnessPredicate } from '@angular/cdk/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { CallQualityHarness } from '../../call-quality/testing/call-quality-harness';

/** Filters for {@link CallPanelHarness}. */
export interface CallPanelHarnessFilters extends BaseHarnessFilters {
  /** Only the panel whose other party has this name. */
  peerName?: string | RegExp;
}

/** Harness for the shared call panel (`sb-call-panel`), for student and agent page tests. */
export class CallPanelHarness extends ComponentHarness {
  /** The panel's host selector. */
  static hostSelector = 'sb-call-panel';

  private readonly peer = this.locatorFor('.peer');
  private readonly status = this.locatorFor('.status');
  private readonly timer = this.locatorForOptional('[role="timer"]');
  private readonly muteButton = this.locatorFor(MatButtonHarness.with({ text: /^(mic|mic_off)?\s*Mute$/ }));
  private readonly hangUpButton = this.locatorFor(MatButtonHarness.with({ text: /Hang up$/ }));
  private readonly qualityIndicator = this.locatorForOptional(CallQualityHarness);

  /** A predicate for a panel matching `options`. */
  static with(options: CallPanelHarnessFilters = {}): HarnessPredicate<CallPanelHarness> {
    return new HarnessPredicate(CallPanelHarness, options).addOption('peerName', options.peerName, (harness, name) =>
      HarnessPredicate.stringMatches(harness.getPeerName(), name),
    );
  }

  /** The other party's name. */
  async getPeerName(): Promise<string> {
    return (await this.peer()).text();
  }

  /** What the panel says: "Connecting…", the talk time (mm:ss), the failure or "Call ended". */
  async getStatusText(): Promise<string> {
    return (await (await this.timer())?.text()) ?? (await this.status()).text();
  }

  /** The talk time (mm:ss), or null while not connected. */
  async getTalkTime(): Promise<string | null> {
    return (await (await this.timer())?.text()) ?? null;
  }

  /** Whether the microphone is muted (the Mute button is pressed). */
  async isMuted(): Promise<boolean> {
    const host = await (await this.muteButton()).host();
    return (await host.getAttribute('aria-pressed')) === 'true';
  }

  /** Clicks Mute (a toggle). */
  async toggleMute(): Promise<void> {
    await (await this.muteButton()).click();
  }

  /** Whether Mute has the keyboard focus. */
  async isMuteFocused(): Promise<boolean> {
    return (await (await this.muteButton()).host()).isFocused();
  }

  /** Clicks Hang up. */
  async hangUp(): Promise<void> {
    await (await this.hangUpButton()).click();
  }

  /** The Hang up button, for finer checks. */
  getHangUpButton(): Promise<MatButtonHarness> {
    return this.hangUpButton();
  }

  /** The call quality indicator, while the call is live (null otherwise). */
  getQuality(): Promise<CallQualityHarness | null> {
    return this.qualityIndicator();
  }
}
