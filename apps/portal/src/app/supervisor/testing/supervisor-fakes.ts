import type { AgentBoardEntry, CallbackRequest, CallDetail, CallPage, CallRecord, MetricsReport, Page, QueueReport, QueueSnapshot } from '@switchboard/call-domain';
import { METRIC_DEFINITIONS } from '@switchboard/call-domain';

/** A call record for tests; override any field. */
export function fakeCall(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    id: 'call-1',
    state: 'ended',
    outcome: 'answered',
    callerId: 'u-student',
    callerName: 'Sam Student',
    agentId: 'u-agent',
    agentName: 'Ada Agent',
    queuedAt: '2026-11-02T09:00:00.000Z',
    answeredAt: '2026-11-02T09:00:12.000Z',
    connectedAt: '2026-11-02T09:00:13.000Z',
    endedAt: '2026-11-02T09:05:13.000Z',
    endedBy: 'caller',
    endReason: 'hung_up',
    queueSeconds: 12,
    talkSeconds: 300,
    wrapUpSeconds: 30,
    disposition: 'Resolved',
    notes: 'Reset the password.',
    ...overrides,
  };
}

/** A call with a three-event timeline, for the detail page. */
export function fakeCallDetail(overrides: Partial<CallDetail> = {}): CallDetail {
  return {
    ...fakeCall(),
    timeline: [
      { at: '2026-11-02T09:00:00.000Z', type: 'queued', actorId: 'u-student', actorName: 'Sam Student', detail: null },
      { at: '2026-11-02T09:00:01.000Z', type: 'offered', actorId: 'u-agent', actorName: 'Ada Agent', detail: null },
      { at: '2026-11-02T09:00:12.000Z', type: 'accepted', actorId: 'u-agent', actorName: 'Ada Agent', detail: null },
    ],
    quality: null,
    ...overrides,
  };
}

/** One page holding `items`. */
export function fakePage<T>(items: T[], total = items.length, page = 1, pageSize = 25): Page<T> {
  return { items, total, page, pageSize };
}

/** One page of `GET /api/calls`: no neighbours and an exact total unless overridden. */
export function fakeCallPage(items: CallRecord[], overrides: Partial<CallPage> = {}): CallPage {
  return { ...fakePage(items), nextCursor: null, prevCursor: null, totalExact: true, ...overrides };
}

/** An agent on the board; override any field. */
export function fakeAgent(overrides: Partial<AgentBoardEntry> = {}): AgentBoardEntry {
  return {
    agentId: 'u-agent',
    username: 'ada.agent',
    displayName: 'Ada Agent',
    state: 'available',
    since: '2026-11-02T09:00:00.000Z',
    secondsInState: 65,
    connected: true,
    callId: null,
    wrapUpEndsAt: null,
    ...overrides,
  };
}

/** A metrics report with every figure set and the domain's definitions. */
export function fakeReport(overrides: Partial<MetricsReport['metrics']> = {}): MetricsReport {
  return {
    period: { from: '2026-10-04T00:00:00.000Z', to: '2026-11-03T00:00:00.000Z' },
    thresholds: { serviceLevelSeconds: 20, shortAbandonSeconds: 5, timeZone: 'UTC' },
    definitions: METRIC_DEFINITIONS,
    generatedAt: '2026-11-02T12:00:00.000Z',
    source: 'rollups',
    aggregatedBefore: null,
    metrics: {
      offered: 200,
      answered: 170,
      abandoned: 20,
      shortAbandoned: 4,
      answerRate: 0.85,
      abandonRate: 0.1,
      averageSpeedOfAnswerSeconds: 14,
      averageHandleTimeSeconds: 330,
      serviceLevel: 0.8,
      missedOffers: [{ agentId: 'u-agent', agentName: 'Ada Agent', missedOffers: 3 }],
      callsByHour: Array.from({ length: 24 }, (_, hour) => ({ hour, offered: hour === 10 ? 40 : 5, answered: hour === 10 ? 30 : 4, abandoned: 1 })),
      longestCurrentWaitSeconds: 42,
      callsWaiting: 2,
      ...overrides,
    },
  };
}

/** The queue as `queueChanged` sends it, read now: two waiting (the longest for 42 s), one in progress; override any field. */
export function fakeQueue(overrides: Partial<QueueSnapshot> = {}): QueueSnapshot {
  const now = Date.now();
  return {
    callsWaiting: 2,
    oldestQueuedAt: new Date(now - 42_000).toISOString(),
    longestWaitSeconds: 42,
    callsInProgress: 1,
    generatedAt: new Date(now).toISOString(),
    ...overrides,
  };
}

/** `GET /api/queue`: {@link fakeQueue} with the domain's definitions. */
export function fakeQueueReport(overrides: Partial<QueueSnapshot> = {}): QueueReport {
  const { callsWaiting, longestCurrentWaitSeconds } = METRIC_DEFINITIONS;
  return { ...fakeQueue(overrides), definitions: { callsWaiting, longestCurrentWaitSeconds } };
}

/** An open callback request; override any field. */
export function fakeCallback(overrides: Partial<CallbackRequest> = {}): CallbackRequest {
  return {
    id: 'cb-1',
    callId: 'call-1',
    studentId: 'u-student',
    name: 'Sam Student',
    note: 'Please call 555-0100 after 3 pm.',
    createdAt: '2026-11-02T09:10:00.000Z',
    doneAt: null,
    doneById: null,
    doneByName: null,
    ...overrides,
  };
}
