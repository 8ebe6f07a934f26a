import { ComponentHarness } from '@angular/cdk/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatSelectHarness } from '@angular/material/select/testing';

/** Harness for the microphone check (`sb-microphone-check`) and the device choices (`sb-audio-settings`). */
export class MicrophoneCheckHarness extends ComponentHarness {
  /** The component's host selector. */
  static hostSelector = 'sb-microphone-check';

  private readonly meter = this.locatorForOptional('[role="meter"]');
  private readonly verdict = this.locatorForOptional('.verdict');
  private readonly error = this.locatorForOptional('[role="alert"]');
  private readonly startButton = this.locatorFor(MatButtonHarness.with({ text: /Test microphone/ }));
  private readonly stopButton = this.locatorFor(MatButtonHarness.with({ text: 'Stop the test' }));
  private readonly select = this.locatorFor(MatSelectHarness);

  /** Clicks **Test microphone**. */
  async start(): Promise<void> {
    await (await this.startButton()).click();
  }

  /** Clicks **Stop the test**. */
  async stop(): Promise<void> {
    await (await this.stopButton()).click();
  }

  /** The meter's level (0–100, `aria-valuenow`), or null while the test is not running. */
  async getLevel(): Promise<number | null> {
    const value = await (await this.meter())?.getAttribute('aria-valuenow');
    return value === null || value === undefined ? null : Number(value);
  }

  /** The meter's value in words (`aria-valuetext`), or null while the test is not running. */
  async getLevelText(): Promise<string | null> {
    return (await (await this.meter())?.getAttribute('aria-valuetext')) ?? null;
  }

  /** "We can hear you." once heard, the prompt before; null while the test is not running. */
  async getVerdict(): Promise<string | null> {
    return (await (await this.verdict())?.text()) ?? null;
  }

  /** Why the microphone could not be opened, or null. */
  async getError(): Promise<string | null> {
    return (await (await this.error())?.text()) ?? null;
  }

  /** The microphones offered (the first is "Browser default"). */
  async getMicrophones(): Promise<string[]> {
    const select = await this.select();
    await select.open();
    const options = await Promise.all((await select.getOptions()).map((o) => o.getText()));
    await select.close();
    return options;
  }

  /** The microphone chosen, as shown. */
  async getMicrophone(): Promise<string> {
    return (await this.select()).getValueText();
  }

  /** Chooses the microphone whose name is `label`. */
  async chooseMicrophone(label: string): Promise<void> {
    const select = await this.select();
    await select.open();
    await select.clickOptions({ text: label });
  }
}

/** Harness for the agent's device choices (`sb-audio-settings`). */
export class AudioSettingsHarness extends ComponentHarness {
  /** The component's host selector. */
  static hostSelector = 'sb-audio-settings';

  private readonly selects = this.locatorForAll(MatSelectHarness);

  /** The choices shown, by label ("Microphone", "Speaker"). */
  async getChoices(): Promise<string[]> {
    const fields = await this.locatorForAll('mat-label')();
    return Promise.all(fields.map((label) => label.text()));
  }

  /** The options of the choice labelled `label`. */
  async getOptions(label: string): Promise<string[]> {
    const select = await this.selectFor(label);
    await select.open();
    const options = await Promise.all((await select.getOptions()).map((o) => o.getText()));
    await select.close();
    return options;
  }

  /** What the choice labelled `label` shows. */
  async getChosen(label: string): Promise<string> {
    return (await this.selectFor(label)).getValueText();
  }

  /** Chooses `option` in the choice labelled `label`. */
  async choose(label: string, option: string): Promise<void> {
    const select = await this.selectFor(label);
    await select.open();
    await select.clickOptions({ text: option });
  }

  private async selectFor(label: string): Promise<MatSelectHarness> {
    const labels = await this.getChoices();
    const index = labels.indexOf(label);
    if (index < 0) throw new Error(`No choice labelled ${label} (there are: ${labels.join(', ')})`);
    return (await this.selects())[index];
  }
}
