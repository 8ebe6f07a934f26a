import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  AgentBoardEntry,
  CallbackRequest,
  CallbackStatus,
  CallDetail,
  CallExportQuery,
  CallFilters,
  CallListQuery,
  CallPage,
  MetricsReport,
  Page,
  QueueReport,
} from '@switchboard/call-domain';
import { firstValueFrom, Observable } from 'rxjs';

/** The states a supervisor may put an agent in (`POST /api/agents/:id/state`). */
export type SupervisorSetState = 'away' | 'offline';

/** `GET /api/metrics` parameters the page chooses (the API fills the rest with its defaults). */
export interface MetricsRequest {
  from: string;
  to: string;
  timeZone?: string;
}

/** Query-string values of the call filters: the outcome list comma-separated, empty filters left out. */
export function filterParams(filters: CallFilters): Record<string, string> {
  const params: Record<string, string> = {};
  if (filters.from) params['from'] = filters.from;
  if (filters.to) params['to'] = filters.to;
  if (filters.agentId) params['agentId'] = filters.agentId;
  if (filters.outcome?.length) params['outcome'] = filters.outcome.join(',');
  if (filters.student?.trim()) params['student'] = filters.student.trim();
  if (filters.quality) params['quality'] = filters.quality;
  return params;
}

/** Query-string values of one page of `GET /api/calls`. */
export function callListParams(query: CallListQuery): Record<string, string> {
  const params: Record<string, string> = { ...filterParams(query), sort: query.sort, dir: query.dir, page: String(query.page), pageSize: String(query.pageSize) };
  if (query.after) params['after'] = query.after;
  else if (query.before) params['before'] = query.before;
  if (query.count) params['count'] = query.count;
  return params;
}

/**
 * The supervisor REST API (`/api/calls`, `/api/metrics`, `/api/queue`, `/api/agents`, `/api/callbacks`).
 * Reads are Observables (pages read them through `remote()`); actions return Promises that
 * reject with the `HttpErrorResponse`.
 */
@Injectable({ providedIn: 'root' })
export class SupervisorApi {
  private readonly http = inject(HttpClient);

  /** One page of calls, with the keyset cursors of its neighbours. */
  calls(query: CallListQuery): Observable<CallPage> {
    return this.http.get<CallPage>('/api/calls', { params: callListParams(query) });
  }

  /** One call with its whole timeline. */
  callDetail(id: string): Observable<CallDetail> {
    return this.http.get<CallDetail>(`/api/calls/${encodeURIComponent(id)}`);
  }

  /** One page of callback requests. */
  callbacks(query: { status: CallbackStatus; page: number; pageSize: number }): Observable<Page<CallbackRequest>> {
    return this.http.get<Page<CallbackRequest>>('/api/callbacks', { params: { status: query.status, page: String(query.page), pageSize: String(query.pageSize) } });
  }

  /** The figures of a period, with definitions and thresholds. */
  metrics(request: MetricsRequest): Observable<MetricsReport> {
    return this.http.get<MetricsReport>('/api/metrics', { params: { ...request } });
  }

  /** Calls waiting, the longest wait and calls in progress right now (the board's initial load). */
  queue(): Observable<QueueReport> {
    return this.http.get<QueueReport>('/api/queue');
  }

  /** Every agent with state and time in state (the board's initial load). */
  agents(): Observable<AgentBoardEntry[]> {
    return this.http.get<AgentBoardEntry[]>('/api/agents');
  }

  /** Puts an agent in Away or Offline; the server records it and tells every board over the socket. */
  setAgentState(agentId: string, state: SupervisorSetState): Promise<unknown> {
    return firstValueFrom(this.http.post(`/api/agents/${encodeURIComponent(agentId)}/state`, { state }));
  }

  /** Signs a user out on every device (`POST /api/users/:id/sign-out`): their sessions end and their sockets close. */
  signOutEverywhere(userId: string): Promise<unknown> {
    return firstValueFrom(this.http.post(`/api/users/${encodeURIComponent(userId)}/sign-out`, {}));
  }

  /** Marks a callback request done by the signed-in supervisor; resolves with it as stored. */
  markCallbackDone(id: string): Promise<CallbackRequest> {
    return firstValueFrom(this.http.post<CallbackRequest>(`/api/callbacks/${encodeURIComponent(id)}/done`, {}));
  }

  /** Every call matching `query` as CSV, in the query's order (fetched with the bearer token, hence not a plain link). */
  exportCalls(query: CallExportQuery): Promise<Blob> {
    return firstValueFrom(this.http.get('/api/calls/export.csv', { params: { ...filterParams(query), sort: query.sort, dir: query.dir }, responseType: 'blob' }));
  }
}
