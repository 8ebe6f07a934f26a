import { ComponentHarness } from '@angular/cdk/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatInputHarness } from '@angular/material/input/testing';

/** Harness for the agent's own day and calls (`sb-my-calls`). */
export class MyCallsHarness extends ComponentHarness {
  /** The component's host selector. */
  static hostSelector = 'sb-my-calls';

  private readonly terms = this.locatorForAll('.figures dt');
  private readonly values = this.locatorForAll('.figures dd');
  private readonly columns = this.locatorForAll('thead th');
  private readonly cells = this.locatorForAll('tbody td');
  private readonly searchField = this.locatorFor(MatInputHarness);
  private readonly olderButton = this.locatorFor(MatButtonHarness.with({ text: 'Older' }));
  private readonly paragraphs = this.locatorForAll('p');
  private readonly pageLabel = this.locatorFor('.pages > span');

  /** Today's figures by their label ("Handled today" → "3"). */
  async getFigures(): Promise<Record<string, string>> {
    const [terms, values] = await Promise.all([this.terms(), this.values()]);
    const texts = await Promise.all([...terms, ...values].map((e) => e.text()));
    return Object.fromEntries(terms.map((_, i) => [texts[i], texts[terms.length + i]]));
  }

  /** Each call listed, as its cells' text (time, student, outcome, disposition, notes). */
  async getRows(): Promise<string[][]> {
    const [columns, cells] = await Promise.all([this.columns(), this.cells()]);
    const texts = await Promise.all(cells.map((cell) => cell.text()));
    return Array.from({ length: texts.length / columns.length }, (_, row) => texts.slice(row * columns.length, (row + 1) * columns.length));
  }

  /** Types into "Search by student". */
  async search(text: string): Promise<void> {
    await (await this.searchField()).setValue(text);
  }

  /** Goes to the next (older) page. */
  async showOlder(): Promise<void> {
    await (await this.olderButton()).click();
  }

  /** "Page 1 of 3". */
  async getPageLabel(): Promise<string> {
    return (await this.pageLabel()).text();
  }

  /** What the component says besides the figures and the table (no calls, an error). */
  async getMessages(): Promise<string> {
    return (await Promise.all((await this.paragraphs()).map((p) => p.text()))).join(' ');
  }
}
