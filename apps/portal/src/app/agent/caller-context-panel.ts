import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import type { CallerContext } from '@switchboard/call-domain';
import { formatDateTime } from '../supervisor/format';
import { OUTCOME_LABELS } from '../supervisor/labels';
import { remote } from '../supervisor/remote';

/** Where the caller's context of a call is read. */
export function callerContextUrl(callId: string): string {
  return `/api/calls/${encodeURIComponent(callId)}/caller-context`;
}

/**
 * Who is calling, for the agent: the caller's earlier calls (when, the outcome, with whom, the
 * disposition and notes) and their open callback requests, read for the call that rings or is
 * taken. `compact` (the incoming-call dialog) says it in two lines; otherwise every earlier
 * call is listed.
 */
@Component({
  selector: 'sb-caller-context',
  template: `
    <section class="context" [attr.aria-labelledby]="headingId">
      <h3 [id]="headingId">{{ heading() }}</h3>
      @if (context.value(); as c) {
        @if (c.previousCallCount === 0) {
          <p>First call to the help desk.</p>
        } @else if (compact()) {
          <p>
            {{ c.previousCallCount }} earlier {{ c.previousCallCount === 1 ? 'call' : 'calls' }}; the last on {{ when(c.previousCalls[0].queuedAt) }}:
            {{ outcome(c.previousCalls[0]) }}{{ c.previousCalls[0].disposition ? ' — ' + c.previousCalls[0].disposition : '' }}.
          </p>
        } @else {
          <p>{{ c.previousCallCount }} earlier {{ c.previousCallCount === 1 ? 'call' : 'calls' }}{{ c.previousCallCount > c.previousCalls.length ? ', the last ' + c.previousCalls.length + ':' : ':' }}</p>
          <ul class="calls">
            @for (call of c.previousCalls; track call.id) {
              <li>
                <span class="when">{{ when(call.queuedAt) }}</span>
                {{ outcome(call) }}{{ call.disposition ? ' — ' + call.disposition : '' }}
                @if (call.notes) {
                  <span class="notes">“{{ call.notes }}”</span>
                }
              </li>
            }
          </ul>
        }
        @if (c.openCallbacks.length > 0) {
          <p class="callbacks">
            Open callback {{ c.openCallbacks.length === 1 ? 'request' : 'requests' }}:
            @for (request of c.openCallbacks; track request.id; let last = $last) {
              {{ when(request.createdAt) }}{{ request.note ? ' “' + request.note + '”' : '' }}{{ last ? '' : ';' }}
            }
          </p>
        }
      } @else if (context.error()) {
        <p>The caller's history could not be loaded.</p>
      } @else {
        <p>Loading the caller's history…</p>
      }
    </section>
  `,
  styles: `
    .context {
      display: flex;
      flex-direction: column;
      gap: 4px;
      max-width: 420px;
    }
    h3 {
      margin: 0;
      font: var(--mat-sys-title-small);
    }
    p,
    ul {
      margin: 0;
    }
    .calls {
      padding-inline-start: 20px;
    }
    .when {
      font-variant-numeric: tabular-nums;
      margin-inline-end: 4px;
    }
    .notes {
      display: block;
      color: var(--mat-sys-on-surface-variant);
    }
    .callbacks {
      font-weight: 500;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallerContextPanel {
  private static nextId = 0;
  private readonly http = inject(HttpClient);

  /** The call whose caller is shown. */
  readonly callId = input.required<string>();
  /** The caller's name when already known (the offer); else the context's. */
  readonly callerName = input<string | null>(null);
  /** Two lines instead of the list (the incoming-call dialog). */
  readonly compact = input(false);

  protected readonly headingId = `sb-caller-context-${CallerContextPanel.nextId++}`;
  protected readonly context = remote(
    () => this.callId(),
    (callId) => this.http.get<CallerContext>(callerContextUrl(callId)),
  );
  protected readonly heading = computed(() => {
    const name = this.callerName() ?? this.context.value()?.callerName;
    return name ? `About ${name}` : 'About the caller';
  });

  protected when(iso: string): string {
    return formatDateTime(iso);
  }

  protected outcome(call: CallerContext['previousCalls'][number]): string {
    const label = call.outcome ? OUTCOME_LABELS[call.outcome] : 'In progress';
    return call.agentName ? `${label} by ${call.agentName}` : label;
  }
}
