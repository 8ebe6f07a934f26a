/** What this node knows of a call's signaling, kept true by the ledger's events it delivers. */
export interface CallSignaling {
  /** The call's current negotiation (null before the first offer). */
  negotiationId: string | null;
  /** Whether media has connected (the caller's messages are no longer held). */
  connected: boolean;
  /** Message ids of the caller's already relayed, to drop repeats. */
  seen: Set<string>;
  /** The ringing agent whose provisional answer of the current negotiation this node relayed, if any. */
  ringingAnswerer: string | null;
  /** Whether this node relayed the current negotiation's offer and it takes a provisional answer (`earlyMedia`). */
  earlyMedia: boolean;
  /** The call's negotiations this node saw replaced, latest last (a few): their messages are stale at once. */
  replaced: string[];
}

/** How many calls' signaling one node remembers (the oldest is forgotten first, then read again). */
const MAX_CALLS = 20_000;
/** How many message ids per call are remembered for dropping repeats. */
const MAX_SEEN = 256;
/** How many replaced negotiations per call are remembered. */
const MAX_REPLACED = 8;

/**
 * Per-node memory of the calls whose signaling passes through it: which negotiation is current
 * and which messages were already relayed. It is a cache, never the truth: a call it does not
 * know is read from the database, and the ledger's events (a new negotiation, media connected,
 * the end) keep what it knows true.
 */
export class CallSignalingCache {
  private readonly calls = new Map<string, CallSignaling>();

  /** What is known of the call, if anything. */
  get(callId: string): CallSignaling | undefined {
    return this.calls.get(callId);
  }

  /** Remembers the call (from a database read). */
  set(callId: string, negotiationId: string | null, connected: boolean): CallSignaling {
    const known = this.calls.get(callId);
    if (known) {
      this.replace(known, negotiationId);
      known.connected = connected;
      return known;
    }
    if (this.calls.size >= MAX_CALLS) this.calls.delete(this.calls.keys().next().value as string);
    const entry: CallSignaling = { negotiationId, connected, seen: new Set(), ringingAnswerer: null, earlyMedia: false, replaced: [] };
    this.calls.set(callId, entry);
    return entry;
  }

  /**
   * Makes `negotiationId` the call's current negotiation, remembering the one it replaces; what
   * this node knew of that one's provisional answer and early media goes with it.
   */
  replace(entry: CallSignaling, negotiationId: string | null): void {
    if (entry.negotiationId === negotiationId) return;
    entry.ringingAnswerer = null;
    entry.earlyMedia = false;
    if (entry.negotiationId !== null) {
      entry.replaced.push(entry.negotiationId);
      if (entry.replaced.length > MAX_REPLACED) entry.replaced.shift();
    }
    entry.replaced = entry.replaced.filter((id) => id !== negotiationId);
    entry.negotiationId = negotiationId;
  }

  /** Whether `messageId` was seen for the call before (and remembers it). */
  seenBefore(entry: CallSignaling, messageId: string): boolean {
    if (entry.seen.has(messageId)) return true;
    if (entry.seen.size >= MAX_SEEN) entry.seen.delete(entry.seen.values().next().value as string);
    entry.seen.add(messageId);
    return false;
  }

  /** Forgets the call (it ended). */
  forget(callId: string): void {
    this.calls.delete(callId);
  }
}
