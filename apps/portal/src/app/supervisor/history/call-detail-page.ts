import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatTableModule } from '@angular/material/table';
import { CallTimelineEvent } from '@switchboard/call-domain';
import { formatDuration } from '@switchboard/ui';
import { formatDateTime, secondsToMs } from '../format';
import { EVENT_LABELS, OUTCOME_LABELS } from '../labels';
import { remote } from '../remote';
import { NavLink } from '../nav-link';
import { describeQualitySummary } from '../quality';
import { SupervisorApi } from '../supervisor-api';
import { CallHistoryMemory } from './call-history-memory';

/**
 * One call (`/supervisor/calls/:id`): who, when, how it ended, its disposition and notes,
 * its call quality summary (MOS, worst loss, warnings),
 * and its whole timeline oldest first (time, actor, what happened). **Back to call history**
 * returns to the history view it was opened from (filters, sort and page kept).
 */
@Component({
  selector: 'sb-call-detail-page',
  imports: [NavLink, MatButtonModule, MatIconModule, MatTableModule],
  template: `
    <a matButton [sbNavLink]="backUrl()">
      <mat-icon aria-hidden="true">arrow_back</mat-icon>
      Back to call history
    </a>
    @if (call.error()) {
      <p class="error" role="alert">This call could not be loaded.</p>
    }
    @if (call.value(); as c) {
      <article aria-labelledby="call-heading">
        <h2 id="call-heading">{{ 'Call of ' + c.callerName + ' at ' + formatDateTime(c.queuedAt, 'medium') }}</h2>
        <dl class="facts">
          <dt>Student</dt>
          <dd>{{ c.callerName }}</dd>
          <dt>Agent</dt>
          <dd>{{ c.agentName ?? '—' }}</dd>
          <dt>Direction</dt>
          <dd>{{ c.direction === 'outbound' ? 'Outbound (callback)' : 'Inbound' }}</dd>
          <dt>Outcome</dt>
          <dd>{{ c.outcome ? outcomeLabels[c.outcome] : 'In progress' }}</dd>
          <dt>Ended by</dt>
          <dd>{{ (c.endedBy ?? '—') + (c.endReason ? ' (' + c.endReason + ')' : '') }}</dd>
          <dt>Queue time</dt>
          <dd>{{ duration(c.queueSeconds) }}</dd>
          <dt>Talk time</dt>
          <dd>{{ duration(c.talkSeconds) }}</dd>
          <dt>Wrap-up time</dt>
          <dd>{{ duration(c.wrapUpSeconds) }}</dd>
          <dt>Disposition</dt>
          <dd>{{ c.disposition ?? '—' }}</dd>
          <dt>Notes</dt>
          <dd class="notes">{{ c.notes || '—' }}</dd>
          <dt>Call quality</dt>
          <dd class="quality">{{ describeQuality(c.quality ?? null) }}</dd>
        </dl>

        <h3 id="timeline-heading">Timeline</h3>
        <table mat-table [dataSource]="timeline()" aria-labelledby="timeline-heading">
          <ng-container matColumnDef="at">
            <th mat-header-cell *matHeaderCellDef>Time</th>
            <td mat-cell *matCellDef="let event">{{ formatDateTime(event.at, 'precise') }}</td>
          </ng-container>
          <ng-container matColumnDef="actor">
            <th mat-header-cell *matHeaderCellDef>Actor</th>
            <td mat-cell *matCellDef="let event">{{ event.actorName ?? 'System' }}</td>
          </ng-container>
          <ng-container matColumnDef="what">
            <th mat-header-cell *matHeaderCellDef>What happened</th>
            <td mat-cell *matCellDef="let event">{{ describe(event) }}</td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let event; columns: columns"></tr>
        </table>
      </article>
    }
  `,
  styles: `
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 24px;
    }
    dt {
      font: var(--mat-sys-label-large);
    }
    dd {
      margin: 0;
    }
    .notes {
      white-space: pre-wrap;
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallDetailPage {
  /** The call's id, from the route. */
  readonly id = input.required<string>();

  private readonly api = inject(SupervisorApi);
  /** The history view the supervisor came from (filters, sort, page), else the plain history. */
  protected readonly backUrl = inject(CallHistoryMemory).url;
  protected readonly call = remote(() => this.id(), (id) => this.api.callDetail(id));
  /** Oldest first, whatever order the server sent (ties keep their order). */
  protected readonly timeline = computed<CallTimelineEvent[]>(() =>
    [...(this.call.value()?.timeline ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
  );
  protected readonly columns = ['at', 'actor', 'what'];
  protected readonly outcomeLabels = OUTCOME_LABELS;
  /** A figure in seconds as the page shows it (`m:ss`). */
  protected duration(seconds: number | null | undefined): string {
    return formatDuration(secondsToMs(seconds), 'figure');
  }
  protected readonly formatDateTime = formatDateTime;
  protected readonly describeQuality = describeQualitySummary;

  /** What happened, with the event's detail if any. */
  protected describe(event: CallTimelineEvent): string {
    return event.detail ? `${EVENT_LABELS[event.type]}: ${event.detail}` : EVENT_LABELS[event.type];
  }
}
