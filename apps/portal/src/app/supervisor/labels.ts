import type { CallEventType, CallOutcome } from '@switchboard/call-domain';

/** How each call outcome reads on screen. */
export const OUTCOME_LABELS: Readonly<Record<CallOutcome, string>> = {
  answered: 'Answered',
  abandoned: 'Abandoned',
  short_abandon: 'Short abandon',
  unanswered: 'Unanswered',
  failed: 'Failed',
};

/** How each timeline entry reads on screen (what happened). */
export const EVENT_LABELS: Readonly<Record<CallEventType, string>> = {
  queued: 'Entered the queue',
  offered: 'Offered to agent',
  missed: 'Rang out (missed)',
  declined: 'Declined',
  accepted: 'Accepted',
  connected: 'Media connected',
  media_failed: 'Media failed',
  cancelled: 'Cancelled by caller',
  ended: 'Ended',
  wrap_up_saved: 'Wrap-up saved',
  callback_requested: 'Callback requested',
  ice_restarted: 'Reconnected after a network break (ICE restart)',
  resumed: 'Resumed after a page reload',
  dialed: 'Dialed by agent (callback)',
  quality_warning: 'Quality warning',
};
