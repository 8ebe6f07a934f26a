import { ComponentHarness } from '@angular/cdk/testing';
import { MatButtonHarness } from '@angular/material/button/testing';

/** Harness for the agent desk's "Keyboard shortcuts" dialog (`sb-shortcuts-dialog`, opened with "?"). */
export class ShortcutsDialogHarness extends ComponentHarness {
  /** The dialog content's host selector. */
  static hostSelector = 'sb-shortcuts-dialog';

  private readonly heading = this.locatorFor('h2');
  private readonly cells = this.locatorForAll('tbody td');
  private readonly closeButton = this.locatorFor(MatButtonHarness.with({ text: 'Close' }));

  /** The dialog's title. */
  async getTitle(): Promise<string> {
    return (await this.heading()).text();
  }

  /** Each shortcut listed: its keys and what it does, in order. */
  async getShortcuts(): Promise<{ keys: string; action: string }[]> {
    const texts = await Promise.all((await this.cells()).map((cell) => cell.text()));
    return Array.from({ length: texts.length / 2 }, (_, row) => ({ keys: texts[row * 2], action: texts[row * 2 + 1] }));
  }

  /** Clicks Close. */
  async close(): Promise<void> {
    await (await this.closeButton()).click();
  }
}
