import { HttpResponse, type HttpInterceptorFn } from '@angular/common/http';
import type { AgentFigures, CallerContext, CallRecord, Page } from '@switchboard/call-domain';
import { of } from 'rxjs';

/** What {@link deskApiStandIn} answers; each test may change it before the page reads it. */
export interface DeskApiData {
  context: Omit<CallerContext, 'callId'>;
  figures: Omit<AgentFigures, 'from' | 'to'>;
  calls: CallRecord[];
}

/** A caller with no history, an agent with no calls yet. */
export function emptyDeskApi(): DeskApiData {
  return {
    context: { callerId: 'student', callerName: 'student', previousCalls: [], previousCallCount: 0, openCallbacks: [] },
    figures: { handled: 0, averageHandleSeconds: null, missed: 0 },
    calls: [],
  };
}

/**
 * An HTTP interceptor that answers the agent desk's reads (`/api/calls/:id/caller-context`,
 * `/api/me/figures`, `/api/me/calls`; `/api/agent/callbacks` with none) from `data` and records them in `requests`, so page tests
 * are not held by reads they do not look at; every other request goes on to the test backend.
 */
export function deskApiStandIn(data: DeskApiData, requests: string[] = []): HttpInterceptorFn {
  return (req, next) => {
    const url = new URL(req.urlWithParams, 'http://portal');
    const context = /^\/api\/calls\/([^/]+)\/caller-context$/.exec(url.pathname);
    if (context) {
      requests.push(req.urlWithParams);
      return of(new HttpResponse({ status: 200, body: { callId: decodeURIComponent(context[1]), ...data.context } satisfies CallerContext }));
    }
    if (url.pathname === '/api/me/figures') {
      requests.push(req.urlWithParams);
      const body: AgentFigures = { from: url.searchParams.get('from') ?? '', to: url.searchParams.get('to') ?? '', ...data.figures };
      return of(new HttpResponse({ status: 200, body }));
    }
    if (url.pathname === '/api/agent/callbacks') {
      return of(new HttpResponse({ status: 200, body: { items: [], total: 0, page: 1, pageSize: 50 } satisfies Page<unknown> }));
    }
    if (url.pathname === '/api/me/calls') {
      requests.push(req.urlWithParams);
      const student = url.searchParams.get('student')?.toLowerCase();
      const items = data.calls.filter((c) => !student || c.callerName.toLowerCase().includes(student));
      const page = Number(url.searchParams.get('page') ?? 1);
      const size = Number(url.searchParams.get('pageSize') ?? 50);
      const body: Page<CallRecord> = { items: items.slice((page - 1) * size, page * size), total: items.length, page, pageSize: size };
      return of(new HttpResponse({ status: 200, body }));
    }
    return next(req);
  };
}
