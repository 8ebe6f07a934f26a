import { ChangeDetectionStrategy, Component } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule } from '@angular/material/dialog';
import { DESK_SHORTCUTS } from './desk-shortcuts';

/** "Keyboard shortcuts": the agent desk's shortcuts in a table (opened with "?"). */
@Component({
  selector: 'sb-shortcuts-dialog',
  imports: [MatDialogModule, MatButtonModule],
  template: `
    <h2 mat-dialog-title>Keyboard shortcuts</h2>
    <mat-dialog-content>
      <p>They work anywhere on the desk except while typing in a field.</p>
      <table>
        <caption class="visually-hidden">Keyboard shortcuts of the agent desk</caption>
        <thead>
          <tr><th scope="col">Keys</th><th scope="col">Action</th></tr>
        </thead>
        <tbody>
          @for (shortcut of shortcuts; track shortcut.action) {
            <tr>
              <td><kbd>{{ shortcut.keys }}</kbd></td>
              <td>{{ shortcut.description }}</td>
            </tr>
          }
        </tbody>
      </table>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button matButton mat-dialog-close type="button">Close</button>
    </mat-dialog-actions>
  `,
  styles: `
    table {
      border-collapse: collapse;
    }
    th,
    td {
      text-align: start;
      padding: 4px 16px 4px 0;
    }
    kbd {
      font-family: inherit;
      font-weight: 500;
      white-space: nowrap;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ShortcutsDialog {
  protected readonly shortcuts = DESK_SHORTCUTS;
}
