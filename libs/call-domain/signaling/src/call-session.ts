import { type Signal, type WritableSignal, signal } from '@angular/core';
import type { CallId, IceCandidate, NegotiationId, QueuePosition, SignalMessage } from '@switchboard/call-domain';
import { type Observable, Subscription, filter, take, timer } from 'rxjs';
import type { CallPeer, CallRole, CallSessionInit, CallSessionState, RenegotiateOptions } from './call-session-init';
import { PeerLink } from './peer-link';
import { SignalingError } from './signaling-errors';

/**
 * One call's media: the microphone, an `RTCPeerConnection` (a {@link PeerLink}), and the
 * signaling that sets them up, in one or more negotiations. Created by {@link Softphone};
 * read its signals from the call screen.
 *
 * The caller offers as soon as it starts (a new negotiation id per offer) and trickles
 * candidates while the call waits and rings; the agent's session starts on Accept, when the
 * held offer and candidates are applied and answered (the answer and the agent's candidates
 * carry the offer's negotiation id). Media not connected within `mediaTimeoutMs` of
 * acceptance fails the call. Whatever ends it, the peer connection is closed and the
 * microphone released.
 *
 * Later negotiations: the caller starts one with {@link renegotiate} (a re-offer, an ICE
 * restart, or a fresh peer connection). The agent applies a replacement offer on its live
 * peer connection, or on a new one when the offer comes from a new peer connection of the
 * caller (its DTLS fingerprint changed: the caller's page reloaded). A page that reloaded
 * takes its call up again with a new session (`resumed`): a caller offers at once, an agent
 * answers the next offer. Each later negotiation must connect within `mediaTimeoutMs` too.
 */
export class CallSession {
  /** The call. */
  readonly callId: CallId;
  /** Which end this browser is. */
  readonly role: CallRole;
  /** Where the media stands. */
  readonly state: Signal<CallSessionState>;
  /** The far end's audio, once it arrives: play it in an `<audio autoplay>` element. */
  readonly remoteStream: Signal<MediaStream | null>;
  /** Whether the microphone is muted (the far end hears silence). */
  readonly muted: Signal<boolean>;
  /** The other party: the caller for an agent, the agent for a caller once accepted. */
  readonly peer: Signal<CallPeer | null>;
  /** Caller: place in line while waiting; null once an agent accepted. */
  readonly queuePosition: Signal<QueuePosition | null>;
  /** The call's current negotiation: null before the first offer, or when the offer named none. */
  readonly negotiationId: Signal<NegotiationId | null>;

  private link: PeerLink;
  private readonly init: CallSessionInit;
  private readonly stateSignal = signal<CallSessionState>('connecting');
  private readonly remote = signal<MediaStream | null>(null);
  private readonly mutedSignal = signal(false);
  private readonly negotiation = signal<NegotiationId | null>(null);
  private readonly peerSignal: WritableSignal<CallPeer | null>;
  private readonly position: WritableSignal<QueuePosition | null>;
  private readonly subscriptions = new Subscription();
  /** The peer-connection work (descriptions, candidates), one step at a time in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private accepted = false;
  private reported = false;
  private mediaTimer: Subscription | null = null;

  constructor(init: CallSessionInit) {
    this.init = init;
    this.callId = init.callId;
    this.role = init.role;
    this.state = this.stateSignal.asReadonly();
    this.remoteStream = this.remote.asReadonly();
    this.muted = this.mutedSignal.asReadonly();
    this.negotiationId = this.negotiation.asReadonly();
    this.peerSignal = signal(init.peer ?? null);
    this.peer = this.peerSignal.asReadonly();
    this.position = signal(init.queuePosition ?? null);
    this.queuePosition = this.position.asReadonly();
    this.link = this.createLink();

    const mine = <T extends { callId: CallId }>(source$: Observable<T>) => source$.pipe(filter((e) => e.callId === this.callId));
    this.subscriptions.add(mine(init.signaling.callEnded$).subscribe(() => this.finish()));
    this.subscriptions.add(
      mine(init.signaling.callAccepted$).subscribe(({ agent }) => {
        this.peerSignal.set(agent);
        this.position.set(null);
        this.markAccepted();
      }),
    );
    this.subscriptions.add(mine(init.signaling.queueUpdated$).subscribe((position) => this.position.set(position)));
    if (init.role === 'caller' && init.offer === 'late' && !init.resumed) {
      this.subscriptions.add(mine(init.signaling.callAccepted$).pipe(take(1)).subscribe(() => void this.firstOffer()));
    }
    this.subscriptions.add(
      init.inbox.messages$.subscribe({
        next: (message) => void this.serially(() => this.apply(message)).catch(() => this.fail()),
        error: () => this.fail(),
      }),
    );
  }

  /**
   * Starts the call. Caller: creates and sends the offer (with `offer: 'late'`, once an agent
   * accepted), then applies what comes back.
   * Agent (after the server confirmed the accept): applies the held offer and candidates
   * and sends the answer. Resolves once the local side is set up; the outcome shows in `state`.
   */
  async start(): Promise<void> {
    if (this.isOver()) return;
    if (this.init.resumed) this.markAccepted();
    if (this.role === 'agent') {
      this.markAccepted();
      this.init.inbox.accept();
      return;
    }
    if (this.init.offer !== 'late' || this.init.resumed) await this.firstOffer();
  }

  /**
   * Caller: starts a new negotiation of this call's media and sends its offer, with a new
   * negotiation id; from then on the answer and candidates of earlier negotiations are
   * dropped. Resolves with the id once the server took the offer. Rejects with a
   * {@link SignalingError}: `invalid_state` for an agent or a call that is over, or the
   * server's refusal (the session carries on; the media timeout fails it if the media does
   * not come back). If the browser cannot make the offer, the call fails.
   */
  async renegotiate(options: RenegotiateOptions = {}): Promise<NegotiationId> {
    if (this.role !== 'caller' || this.isOver()) {
      throw new SignalingError({ code: 'invalid_state', message: 'Only the caller of a call in progress can renegotiate it.' });
    }
    if (this.accepted) this.expectMedia();
    return this.offer(options);
  }

  /** Mutes or unmutes the microphone; a muted track sends silence. */
  setMuted(muted: boolean): void {
    for (const track of this.init.microphone.getAudioTracks()) track.enabled = !muted;
    this.mutedSignal.set(muted);
  }

  /**
   * Ends the call from this side: a caller not yet answered cancels, otherwise hangs up.
   * The session ends at once; the returned Promise settles with the server's ack.
   */
  hangUp(): Promise<void> {
    if (this.isOver()) return Promise.resolve();
    const ref = { callId: this.callId };
    const request = this.role === 'caller' && !this.accepted ? this.init.signaling.cancelCall(ref) : this.init.signaling.hangUp(ref);
    this.finish();
    return request;
  }

  /** Ends the session here without telling the server (e.g. the server refused the accept). */
  close(): void {
    this.finish();
  }

  /** The current peer connection's statistics (audio levels, round-trip time…). */
  getStats(): Promise<RTCStatsReport> {
    return this.link.pc.getStats();
  }

  private async firstOffer(): Promise<void> {
    try {
      await this.offer({});
    } catch {
      if (!this.isOver()) this.fail();
    }
  }

  /** Makes, sets and sends an offer of a new negotiation (which the inbox learns at once). */
  private offer({ iceRestart = false, freshConnection = false }: RenegotiateOptions): Promise<NegotiationId> {
    const negotiationId = crypto.randomUUID();
    this.negotiation.set(negotiationId);
    this.init.inbox.startNegotiation(negotiationId);
    return this.serially(async () => {
      if (this.isOver()) throw new SignalingError({ code: 'invalid_state', message: 'The call is over.' });
      let sdp: string;
      try {
        if (freshConnection) this.replaceLink();
        const link = this.link;
        link.negotiationId = negotiationId;
        await link.pc.setLocalDescription(await link.pc.createOffer({ iceRestart }));
        sdp = link.pc.localDescription?.sdp ?? '';
      } catch (error) {
        this.fail();
        throw error;
      }
      this.init.inbox.accept();
      await this.init.signaling.sendOffer({ callId: this.callId, messageId: crypto.randomUUID(), negotiationId, description: { type: 'offer', sdp } });
      return negotiationId;
    });
  }

  private async apply(message: SignalMessage): Promise<void> {
    if (this.isOver()) return;
    // Queued before this side started a newer negotiation: the inbox would drop it now.
    const current = this.negotiation();
    if (message.kind !== 'offer' && message.negotiationId !== undefined && current !== null && message.negotiationId !== current) return;
    const pc = this.link.pc;
    if (message.kind === 'candidate') {
      // One unusable candidate (e.g. an unreachable network) must not end the call: ICE
      // tries the others and reports failure itself if none works.
      await pc.addIceCandidate(message.candidate).catch(() => undefined);
      return;
    }
    if (message.kind === 'answer') {
      await pc.setRemoteDescription(message.description);
      this.markAccepted();
      return;
    }
    await this.answer(message);
  }

  /** Agent: applies an offer (the first, or one that replaces the current negotiation) and answers it. */
  private async answer(offer: SignalMessage & { kind: 'offer' }): Promise<void> {
    const replacing = this.link.pc.remoteDescription !== null;
    if (this.link.isNewFarEnd(offer.description)) this.replaceLink();
    const negotiationId = offer.negotiationId ?? this.negotiation() ?? undefined;
    this.negotiation.set(negotiationId ?? null);
    if (replacing) this.expectMedia();
    const link = this.link;
    await link.pc.setRemoteDescription(offer.description);
    link.negotiationId = negotiationId;
    await link.pc.setLocalDescription(await link.pc.createAnswer());
    const sdp = link.pc.localDescription?.sdp ?? '';
    this.init.signaling
      .sendAnswer({ callId: this.callId, messageId: crypto.randomUUID(), ...(negotiationId ? { negotiationId } : {}), description: { type: 'answer', sdp } })
      // A newer offer replaced this one on the way: its answer follows.
      .catch((error: unknown) => (error instanceof SignalingError && error.code === 'stale_negotiation' ? undefined : this.fail()));
  }

  private sendCandidate(candidate: IceCandidate, negotiationId: NegotiationId | undefined): void {
    const message = { callId: this.callId, messageId: crypto.randomUUID(), ...(negotiationId ? { negotiationId } : {}), candidate };
    // A candidate the server refuses (the call just ended, a newer negotiation) changes nothing: ICE has others.
    this.init.signaling.sendCandidate(message).catch(() => undefined);
  }

  private createLink(): PeerLink {
    return new PeerLink(this.init.rtcConfiguration, this.init.microphone, {
      candidate: (candidate, negotiationId) => this.sendCandidate(candidate, negotiationId),
      remoteStream: (stream) => this.remote.set(stream),
      connectionState: (state) => this.observeConnection(state),
    });
  }

  /** Closes the peer connection and carries on with a new one (the microphone stays). */
  private replaceLink(): void {
    this.link.close();
    this.remote.set(null);
    this.link = this.createLink();
  }

  /** Runs peer-connection work after the work queued before it. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private markAccepted(): void {
    if (this.accepted) return;
    this.accepted = true;
    this.expectMedia();
  }

  /** (Re)starts the media timeout: the current peer connection must connect within `mediaTimeoutMs`. */
  private expectMedia(): void {
    this.mediaTimer?.unsubscribe();
    this.mediaTimer = timer(this.init.mediaTimeoutMs).subscribe(() => {
      if (this.link.pc.connectionState !== 'connected') this.fail();
    });
  }

  private observeConnection(state: RTCPeerConnectionState): void {
    if (state === 'connected') {
      this.mediaTimer?.unsubscribe();
      this.mediaTimer = null;
      if (this.stateSignal() !== 'connecting') return;
      this.stateSignal.set('connected');
      this.report('connected');
    } else if (state === 'failed') {
      this.fail();
    }
  }

  private fail(): void {
    if (this.isOver()) return;
    const wasConnected = this.stateSignal() === 'connected';
    this.stateSignal.set('failed');
    if (!this.reported) this.report('failed');
    // Media already reported connected: the report cannot be taken back, so end the call.
    else if (wasConnected) this.init.signaling.hangUp({ callId: this.callId }).catch(() => undefined);
    this.release();
  }

  private finish(): void {
    if (this.isOver()) return;
    this.stateSignal.set('ended');
    this.release();
  }

  private report(state: 'connected' | 'failed'): void {
    if (this.reported) return;
    this.reported = true;
    this.init.signaling.reportMedia({ callId: this.callId, state }).catch(() => undefined);
  }

  private release(): void {
    this.mediaTimer?.unsubscribe();
    this.subscriptions.unsubscribe();
    this.init.inbox.close();
    this.link.close();
    for (const track of this.init.microphone.getTracks()) track.stop();
  }

  private isOver(): boolean {
    const state = this.stateSignal();
    return state === 'failed' || state === 'ended';
  }
}
