import { inject, Injectable, Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import type { AgentBoardEntry, AgentState, AgentStatus, CallQualityChange, QualitySample, QueueReport, QueueSnapshot } from '@switchboard/call-domain';
import { SignalingClient } from '@switchboard/call-domain/signaling';
import { Clock } from '@switchboard/ui';
import { catchError, EMPTY, filter, map, merge, scan, startWith, switchMap } from 'rxjs';
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
  /** The latest quality sample of the agent's call in progress; null when none yet. */
  quality: QualitySample | null;
  /** When a socket status last set this entry (local ms); null when it came from a snapshot. */
  statusAt: number | null;
}

/** The queue right now. */
export interface QueueNow {
  callsWaiting: number;
  /** When the caller who has waited longest started waiting, in local ms; null when nobody waits. */
  oldestWaitSince: number | null;
  callsInProgress: number;
  /** When the server read these figures (its clock, ISO 8601): an older read never replaces a newer one. */
  generatedAt: string;
  /** What the figures mean, as the API defines them; null until `GET /api/queue` answered. */
  definitions: QueueReport['definitions'] | null;
}

type BoardChange =
  | { kind: 'snapshot'; agents: BoardAgent[]; requestedAt: number }
  | { kind: 'status'; agent: BoardAgent }
  | { kind: 'quality'; change: CallQualityChange };

/**
 * The live board's data: every agent from `GET /api/agents`, then kept current by the socket's
 * `agentStatusChanged` and, for calls in progress, `callQualityChanged` (no polling); reloaded on each (re)connection, since events sent while
 * disconnected are lost. The queue figures come from `GET /api/queue` once, then from the
 * socket's `queueChanged`, which the server sends on every change and on each (re)connection.
 * The socket itself follows the session (`provideCallConnection()` in the app config).
 * Provide it in the board's component.
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
      this.signaling.callQualityChanged$.pipe(map((change): BoardChange => ({ kind: 'quality', change }))),
    ).pipe(scan(applyChange, [] as BoardAgent[])),
    { initialValue: [] },
  );

  /** Calls waiting, since when the longest has waited, and calls in progress; null until first known. */
  readonly queue: Signal<QueueNow | null> = toSignal(
    merge(this.api.queue().pipe(catchError(() => EMPTY)), this.signaling.queueChanged$).pipe(scan(applyQueue, null as QueueNow | null)),
    { initialValue: null },
  );

  /** The browser's clock, every second, for the times in state and the longest wait. */
  readonly now: Signal<number> = inject(Clock).now;

  /** Puts an agent in Away or Offline; the board changes when the server announces it. */
  setState(agentId: string, state: SupervisorSetState): Promise<unknown> {
    return this.api.setAgentState(agentId, state);
  }

  /** Signs an agent out on every device; their presence follows as for any lost connection. */
  signOutEverywhere(agentId: string): Promise<unknown> {
    return this.api.signOutEverywhere(agentId);
  }
}

function fromEntry(entry: AgentBoardEntry): BoardAgent {
  const { agentId, displayName, state, connected, callId } = entry;
  // The server's "seconds in state" avoids trusting the browser's clock to match the server's.
  const since = entry.secondsInState === null ? null : Date.now() - entry.secondsInState * 1000;
  return { agentId, displayName, state, since, connected, callId, quality: entry.callQuality ?? null, statusAt: null };
}

function fromStatus(status: AgentStatus): BoardAgent {
  const { agentId, displayName, state, connected, callId } = status;
  // A status is sent as it happens, so its start is now; `since` would mix in clock skew.
  const now = Date.now();
  return { agentId, displayName, state, since: now, connected, callId, quality: null, statusAt: now };
}

/** Applies a queue read (`GET /api/queue` or `queueChanged`) unless it is older than the one shown. */
export function applyQueue(current: QueueNow | null, read: QueueSnapshot & { definitions?: QueueReport['definitions'] }): QueueNow | null {
  const definitions = read.definitions ?? current?.definitions ?? null;
  // ISO 8601 instants from the server compare as strings.
  if (current && read.generatedAt < current.generatedAt) return { ...current, definitions };
  const { callsWaiting, callsInProgress, generatedAt, longestWaitSeconds } = read;
  // The server's "seconds waited" avoids trusting the browser's clock to match the server's.
  const oldestWaitSince = longestWaitSeconds === null ? null : Date.now() - longestWaitSeconds * 1000;
  return { callsWaiting, oldestWaitSince, callsInProgress, generatedAt, definitions };
}

/** Applies a snapshot, one status or one call's quality sample to the board. */
export function applyChange(board: BoardAgent[], change: BoardChange): BoardAgent[] {
  if (change.kind === 'quality') {
    const { callId, quality } = change.change;
    return board.map((a) => (a.callId === callId && a.state === 'on_call' ? { ...a, quality } : a));
  }
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
  // The call's quality stays while the agent is on the same call.
  const quality = current.callId === agent.callId && agent.state === 'on_call' ? current.quality : null;
  const next = current.state === agent.state ? { ...agent, since: current.since, quality } : { ...agent, quality };
  return board.map((a, i) => (i === index ? next : a));
}
