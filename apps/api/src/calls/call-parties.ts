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
