import type { CallSession } from '../call-session';
import type { CallSessionState } from '../call-session-init';

/** Waits `ms` milliseconds (to let audio flow, never to wait for an event). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `holds()` is true (checked every 10 ms); rejects, naming `what`, if it is not
 * within `withinMs`. For conditions a signal or the browser's state shows, not a stream.
 */
export async function until(holds: () => boolean | Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await holds())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${withinMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves once `session` is in `state`. */
export function reaches(session: CallSession, state: CallSessionState, withinMs = 10_000): Promise<void> {
  return until(() => session.state() === state, `the ${session.role}'s session to be ${state}`, withinMs);
}

/** Plays the far end's audio, as the portal does; Chromium only decodes played tracks. */
export function play(session: CallSession): HTMLAudioElement {
  const audio = new Audio();
  audio.srcObject = session.remoteStream();
  void audio.play();
  return audio;
}

/** Received audio energy so far (grows while sound arrives, stays put during silence). */
export async function receivedEnergy(session: CallSession): Promise<number> {
  let energy = 0;
  (await session.getStats()).forEach((report: { type: string; kind?: string; totalAudioEnergy?: number }) => {
    if (report.type === 'inbound-rtp' && report.kind === 'audio') energy = report.totalAudioEnergy ?? 0;
  });
  return energy;
}

/** How much audio energy `session` receives over the next `overMs`. */
export async function energyGrowth(session: CallSession, overMs: number): Promise<number> {
  const before = await receivedEnergy(session);
  await sleep(overMs);
  return (await receivedEnergy(session)) - before;
}

/**
 * The audio energy `session` receives in the first of up to `windows` windows of `windowMs`
 * that holds more than `atLeast` (else the last window's): audio that flows, measured so that
 * a moment's pause on a loaded machine (a path or a track being switched) does not fail a test
 * whose point is that audio flows at all. Use {@link energyGrowth} to prove silence.
 */
export async function energyHeard(session: CallSession, { atLeast = 0.01, windowMs = 1200, windows = 4 } = {}): Promise<number> {
  let heard = 0;
  for (let window = 0; window < windows && heard <= atLeast; window++) heard = await energyGrowth(session, windowMs);
  return heard;
}
