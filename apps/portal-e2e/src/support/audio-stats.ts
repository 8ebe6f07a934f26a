import { BrowserContext, Page } from 'playwright-core';

/** What a page receives: the inbound audio's level and energy, from `getStats()`. */
export interface InboundAudio {
  audioLevel: number;
  totalAudioEnergy: number;
  bytesReceived: number;
  connectionState: string;
}

/**
 * Makes every RTCPeerConnection the page creates reachable from the test, without changing
 * the product: the constructor is wrapped before any page script runs.
 */
export async function trackPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    } as typeof RTCPeerConnection;
  });
}

/** Reads the inbound audio of the page's most recent peer connection. */
export async function inboundAudio(page: Page): Promise<InboundAudio> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs ?? [];
    const pc = pcs[pcs.length - 1];
    const empty = { audioLevel: 0, totalAudioEnergy: 0, bytesReceived: 0, connectionState: pc?.connectionState ?? 'none' };
    if (!pc) return empty;
    const stats = await pc.getStats();
    let found = empty;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        found = {
          audioLevel: s.audioLevel ?? 0,
          totalAudioEnergy: s.totalAudioEnergy ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          connectionState: pc.connectionState,
        };
      }
    });
    return found;
  });
}

/** Energy received over `ms` milliseconds: > 0 while the far end's audio reaches us. */
export async function energyGrowth(page: Page, ms = 1500): Promise<number> {
  const before = await inboundAudio(page);
  await page.waitForTimeout(ms);
  const after = await inboundAudio(page);
  return after.totalAudioEnergy - before.totalAudioEnergy;
}

/** The candidate types of the pair a page's most recent peer connection sends media over. */
export interface SelectedPair {
  local: string | null;
  remote: string | null;
}

/** Reads the selected ICE candidate pair of the page's most recent peer connection. */
export async function selectedCandidatePair(page: Page): Promise<SelectedPair> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs ?? [];
    const pc = pcs[pcs.length - 1];
    if (!pc) return { local: null, remote: null };
    const stats = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s['id'] as string, s));
    const transport = [...stats.values()].find((s) => s['type'] === 'transport' && s['selectedCandidatePairId']);
    const pair = transport ? stats.get(transport['selectedCandidatePairId'] as string) : undefined;
    const type = (id: unknown) => (stats.get(id as string)?.['candidateType'] as string | undefined) ?? null;
    return { local: type(pair?.['localCandidateId']), remote: type(pair?.['remoteCandidateId']) };
  });
}
