import { ChangeDetectionStrategy, Component, DestroyRef, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import type { CallOffer } from '@switchboard/call-domain';
import { AgentDesk } from './agent-desk';
import { CallerContextPanel } from './caller-context-panel';
import { IncomingCallAlert } from './incoming-call-alert';
import { Ringtone } from './ringtone';

/** The id of the dialog's description (the caller's name and why they call): its `ariaDescribedBy`. */
export const INCOMING_CALL_DESCRIPTION_ID = 'incoming-call-description';

/**
 * "Incoming call": who is calling and what they called about before, **Accept** and
 * **Decline**, with a ringtone while it is open (and, while the tab is hidden, the
 * {@link IncomingCallAlert}). The agent page opens it for each offer and closes it when the
 * offer is accepted, declined or withdrawn (open it with the page's injector: it acts through
 * {@link AgentDesk}).
 */
@Component({
  selector: 'sb-incoming-call-dialog',
  imports: [MatDialogModule, MatButtonModule, CallerContextPanel],
  template: `
    <h2 mat-dialog-title>Incoming call</h2>
    <mat-dialog-content>
      <p [id]="descriptionId"><span class="caller">{{ offer.caller.displayName }}</span> is calling the help desk.</p>
      <sb-caller-context [callId]="offer.callId" [callerName]="offer.caller.displayName" [compact]="true" />
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <!-- Text-only buttons: the call-setup benchmark finds Accept by its exact text. -->
      <button matButton type="button" (click)="desk.decline()">Decline</button>
      <button matButton="filled" type="button" cdkFocusInitial (click)="desk.accept()">Accept</button>
    </mat-dialog-actions>
  `,
  styles: `
    .caller {
      display: block;
      font: var(--mat-sys-headline-small);
      margin: 0 0 4px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class IncomingCallDialog {
  /** The offer shown. */
  protected readonly offer = inject<CallOffer>(MAT_DIALOG_DATA);
  protected readonly desk = inject(AgentDesk);
  protected readonly descriptionId = INCOMING_CALL_DESCRIPTION_ID;

  constructor() {
    const destroyRef = inject(DestroyRef);
    destroyRef.onDestroy(inject(Ringtone).start());
    destroyRef.onDestroy(inject(IncomingCallAlert).start(this.offer));
  }
}
