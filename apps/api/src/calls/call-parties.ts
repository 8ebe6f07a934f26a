/** The room of the sockets of a call's caller (every tab of the student that placed it). */
export function callCallerRoom(callId: string): string {
  return `call:${callId}:caller`;
}

/** The room of the sockets of the agent a call rings at right now (all their tabs). */
export function callRingingRoom(callId: string): string {
  return `call:${callId}:ringing`;
}

/** The room of the one socket that accepted a call (the agent's side of the media). */
export function callAgentRoom(callId: string): string {
  return `call:${callId}:agent`;
}

/**
 * The room of the one tab of an inbound call's caller that holds its media: the tab that placed
 * the call, or the one that took it up again (`resumeCall`). The caller's other tabs are in
 * {@link callCallerRoom} only: they hear about the call but do not hold it.
 */
export function callCallerTabRoom(callId: string): string {
  return `call:${callId}:caller-tab`;
}
