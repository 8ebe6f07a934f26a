import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatMenuModule } from '@angular/material/menu';
import { MatTableModule } from '@angular/material/table';
import { AGENT_STATE_LABELS, canAgentMove } from '@switchboard/call-domain';
import { elapsedSince, formatDuration } from '@switchboard/ui';
import { describeLatestQuality } from '../quality';
import { SupervisorSetState } from '../supervisor-api';
import { AgentBoard, BoardAgent } from './agent-board';

/**
 * The live board (`/supervisor`): every agent with state and time in state, calls waiting,
 * the longest current wait and calls in progress, and the latest quality of each call in
 * progress (in words: good / fair / poor with the MOS and warnings), all kept current over the socket. Each row
 * has a menu to put the agent Away or Offline or sign them out on every device; agents in
 * Missed stand out.
 */
@Component({
  selector: 'sb-live-board-page',
  imports: [MatButtonModule, MatIconModule, MatMenuModule, MatTableModule],
  providers: [AgentBoard],
  template: `
    <h2 class="visually-hidden" id="live-heading">Live board</h2>
    <section class="queue" aria-label="Queue right now">
      <div class="figure">
        <span class="label">Calls waiting</span>
        <span class="value">{{ queue()?.callsWaiting ?? '—' }}</span>
        <span class="definition">{{ queue()?.definitions?.callsWaiting?.note }}</span>
      </div>
      <div class="figure">
        <span class="label">Longest current wait</span>
        <span class="value">{{ longestWait() }}</span>
        <span class="definition">{{ queue()?.definitions?.longestCurrentWaitSeconds?.note }}</span>
      </div>
      <div class="figure">
        <span class="label">Calls in progress</span>
        <span class="value">{{ queue()?.callsInProgress ?? '—' }}</span>
        <span class="definition">Calls an agent accepted that have not ended.</span>
      </div>
    </section>

    @if (missedCount()) {
      <p class="missed-alert" role="status">
        <mat-icon aria-hidden="true">warning</mat-icon>
        {{ missedCount() === 1 ? '1 agent missed a call' : missedCount() + ' agents missed a call' }} and is not offered calls until they return.
      </p>
    }
    @if (actionDone(); as message) {
      <p class="done" role="status">{{ message }}</p>
    }
    @if (actionError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    }

    <div class="board">
      <table mat-table [dataSource]="agents()" aria-labelledby="live-heading">
        <ng-container matColumnDef="displayName">
          <th mat-header-cell *matHeaderCellDef>Agent</th>
          <td mat-cell *matCellDef="let agent">
            {{ agent.displayName }}
            @if (!agent.connected && agent.state !== 'offline') {
              <span class="hint">(connection lost)</span>
            }
          </td>
        </ng-container>
        <ng-container matColumnDef="state">
          <th mat-header-cell *matHeaderCellDef>State</th>
          <td mat-cell *matCellDef="let agent">
            <span class="state" [attr.data-state]="agent.state">
              @if (agent.state === 'missed') {
                <mat-icon aria-hidden="true" inline>warning</mat-icon>
              }
              {{ stateLabel(agent) }}
            </span>
          </td>
        </ng-container>
        <ng-container matColumnDef="timeInState">
          <th mat-header-cell *matHeaderCellDef>Time in state</th>
          <td mat-cell *matCellDef="let agent">{{ timeInState(agent) }}</td>
        </ng-container>
        <ng-container matColumnDef="callQuality">
          <th mat-header-cell *matHeaderCellDef>Call quality</th>
          <td mat-cell *matCellDef="let agent">
            <span class="quality" [attr.data-level]="agent.quality?.level">{{ describeQuality(agent.state === 'on_call' ? agent.quality : null) }}</span>
          </td>
        </ng-container>
        <ng-container matColumnDef="actions">
          <th mat-header-cell *matHeaderCellDef><span class="visually-hidden">Actions</span></th>
          <td mat-cell *matCellDef="let agent">
            <button matIconButton type="button" [matMenuTriggerFor]="menu" [attr.aria-label]="'Set state of ' + agent.displayName">
              <mat-icon aria-hidden="true">more_vert</mat-icon>
            </button>
            <mat-menu #menu="matMenu">
              <button mat-menu-item type="button" [disabled]="!canSet(agent, 'away')" (click)="setState(agent, 'away')">Set Away</button>
              <button mat-menu-item type="button" [disabled]="!canSet(agent, 'offline')" (click)="setState(agent, 'offline')">Set Offline</button>
              <button mat-menu-item type="button" (click)="signOutEverywhere(agent)">Sign out everywhere</button>
            </mat-menu>
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let agent; columns: columns" [class.missed]="agent.state === 'missed'"></tr>
        <tr class="mat-mdc-row" *matNoDataRow>
          <td class="mat-mdc-cell" [attr.colspan]="columns.length">No agents yet.</td>
        </tr>
      </table>
    </div>
  `,
  styleUrl: './live-board-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LiveBoardPage {
  private readonly board = inject(AgentBoard);

  protected readonly agents = this.board.agents;
  protected readonly queue = this.board.queue;
  protected readonly columns = ['displayName', 'state', 'timeInState', 'callQuality', 'actions'];
  protected readonly describeQuality = describeLatestQuality;
  protected readonly actionError = signal<string | null>(null);
  protected readonly actionDone = signal<string | null>(null);

  protected readonly missedCount = computed(() => this.agents().filter((a) => a.state === 'missed').length);
  protected readonly longestWait = computed(() => {
    const since = this.queue()?.oldestWaitSince;
    return since === null || since === undefined ? '—' : formatDuration(elapsedSince(since, this.board.now()));
  });

  /** The agent's state as it reads on screen. */
  protected stateLabel(agent: BoardAgent): string {
    return AGENT_STATE_LABELS[agent.state];
  }

  /** How long the agent has been in their state, as `mm:ss`, ticking. */
  protected timeInState(agent: BoardAgent): string {
    return agent.since === null ? '—' : formatDuration(elapsedSince(agent.since, this.board.now()));
  }

  /** Whether a supervisor may move this agent to `state` now (the server checks it again). */
  protected canSet(agent: BoardAgent, state: SupervisorSetState): boolean {
    return canAgentMove(agent.state, state, 'supervisor');
  }

  /** Asks the server to put the agent in `state`; the row changes when the socket says so. */
  protected async setState(agent: BoardAgent, state: SupervisorSetState): Promise<void> {
    this.actionError.set(null);
    this.actionDone.set(null);
    try {
      await this.board.setState(agent.agentId, state);
    } catch {
      this.actionError.set(`${agent.displayName} could not be set ${state === 'away' ? 'Away' : 'Offline'}.`);
    }
  }

  /** Signs the agent out on every device (a lost or shared computer); says so when done. */
  protected async signOutEverywhere(agent: BoardAgent): Promise<void> {
    this.actionError.set(null);
    this.actionDone.set(null);
    try {
      await this.board.signOutEverywhere(agent.agentId);
      this.actionDone.set(`${agent.displayName} was signed out everywhere.`);
    } catch {
      this.actionError.set(`${agent.displayName} could not be signed out.`);
    }
  }
}
