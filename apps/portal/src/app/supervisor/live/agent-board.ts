import { inject, Injectable, Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import type { AgentBoardEntry, AgentState, AgentStatus, MetricsReport } from '@switchboard/call-domain';
import { SignalingClient } from '@switchboard/call-domain/signaling';
import { catchError, debounceTime, EMPTY, filter, interval, map, merge, Observable, scan, startWith, switchMap } from 'rxjs';
import { SupervisorApi, SupervisorSetState } from '../supervisor-api';

/** One agent on the board. `since` is in the browser's clock (ms), corrected for the server's. */
export interface BoardAgent {
  agentId: string;
  displayName: string;
  state: AgentState;
  /** When the agent entered `state`, in local ms since the epoch; null if never signed in. */
  since: number | null;
  connected: boolean;
  callId: string | null;
  /** When a socket status last set this entry (local ms); null when it came from a snapshot. */
  statusAt: number | null;
}

/** The queue right now. */
export interface QueueNow {
  callsWaiting: number;
  /** When the caller who has waited longest started waiting, in local ms; null when nobody waits. */
  oldestWaitSince: number | null;
  /** What the figures mean, as the API defines them; null when the read failed. */
  definitions: Pick<MetricsReport['definitions'], 'callsWaiting' | 'longestCurrentWaitSeconds'> | null;
}

type BoardChange = { kind: 'snapshot'; agents: BoardAgent[]; requestedAt: number } | { kind: 'status'; agent: BoardAgent };

// A status states which call the queue lost or gained: an offer rang, was taken, or rang out.
const QUEUE_MOVES: readonly AgentState[] = ['ringing', 'on_call', 'missed'];

/**
 * The live board's data: every agent from `GET /api/agents`, then kept current by the socket's
 * `agentStatusChanged` (no polling); reloaded on each (re)connection, since events sent while
 * disconnected are lost. Queue figures come from the real-time part of `GET /api/metrics`,
 * re-read when a status says a waiting call moved. The socket itself follows the session
 * (`provideCallConnection()` in the app config). Provide it in the board's component.
 */
@Injectable()
export class AgentBoard {
  private readonly api = inject(SupervisorApi);
  private readonly signaling = inject(SignalingClient);
  private readonly connected$ = this.signaling.connectionState$.pipe(filter((s) => s === 'connected'));

  /** Every agent, in the server's order (by name); agents first seen in an event come last. */
  readonly agents: Signal<BoardAgent[]> = toSignal(
    merge(
      this.connected$.pipe(
        startWith(null),
        switchMap(() => {
          const requestedAt = Date.now();
          return this.api.agents().pipe(
            map((entries): BoardChange => ({ kind: 'snapshot', agents: entries.map(fromEntry), requestedAt })),
            catchError(() => EMPTY),
          );
        }),
      ),
      this.signaling.agentStatusChanged$.pipe(map((status): BoardChange => ({ kind: 'status', agent: fromStatus(status) }))),
    ).pipe(scan(applyChange, [] as BoardAgent[])),
    { initialValue: [] },
  );

  /** Calls waiting and since when the longest has waited; null until first read. */
  readonly queue: Signal<QueueNow | null> = toSignal(
    merge(
      this.connected$.pipe(startWith(null)),
      this.signaling.agentStatusChanged$.pipe(
        filter((s) => QUEUE_MOVES.includes(s.state)),
        debounceTime(250),
      ),
    ).pipe(switchMap(() => this.readQueue())),
    { initialValue: null },
  );

  /** The browser's clock, every second, for the times in state and the longest wait. */
  readonly now: Signal<number> = toSignal(interval(1000).pipe(map(() => Date.now())), { initialValue: Date.now() });

  /** Puts an agent in Away or Offline; the board changes when the server announces it. */
  setState(agentId: string, state: SupervisorSetState): Promise<unknown> {
    return this.api.setAgentState(agentId, state);
  }

  private readQueue(): Observable<QueueNow> {
    // The real-time figures do not depend on the period, so the smallest one is asked for.
    const to = new Date();
    const from = new Date(to.getTime() - 1000);
    return this.api.metrics({ from: from.toISOString(), to: to.toISOString() }).pipe(
      map((report) => {
        const wait = report.metrics.longestCurrentWaitSeconds;
        return {
          callsWaiting: report.metrics.callsWaiting,
          oldestWaitSince: wait === null ? null : Date.now() - wait * 1000,
          definitions: report.definitions,
        };
      }),
      catchError(() => EMPTY),
    );
  }
}

function fromEntry(entry: AgentBoardEntry): BoardAgent {
  const { agentId, displayName, state, connected, callId } = entry;
  // The server's "seconds in state" avoids trusting the browser's clock to match the server's.
  const since = entry.secondsInState === null ? null : Date.now() - entry.secondsInState * 1000;
  return { agentId, displayName, state, since, connected, callId, statusAt: null };
}

function fromStatus(status: AgentStatus): BoardAgent {
  const { agentId, displayName, state, connected, callId } = status;
  // A status is sent as it happens, so its start is now; `since` would mix in clock skew.
  const now = Date.now();
  return { agentId, displayName, state, since: now, connected, callId, statusAt: now };
}

/** Applies a snapshot or one status to the board. */
export function applyChange(board: BoardAgent[], change: BoardChange): BoardAgent[] {
  if (change.kind === 'snapshot') {
    // A status that arrived while the snapshot was on its way is newer than the snapshot.
    const newer = new Map(board.filter((a) => a.statusAt !== null && a.statusAt >= change.requestedAt).map((a) => [a.agentId, a]));
    return change.agents.map((a) => newer.get(a.agentId) ?? a);
  }
  const { agent } = change;
  const index = board.findIndex((a) => a.agentId === agent.agentId);
  if (index === -1) return [...board, agent];
  const current = board[index];
  // Only a state change restarts the clock (a tab connecting or leaving does not).
  const next = current.state === agent.state ? { ...agent, since: current.since } : agent;
  return board.map((a, i) => (i === index ? next : a));
}
