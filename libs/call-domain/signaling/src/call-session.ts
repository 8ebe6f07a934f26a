import { type Signal, type WritableSignal, signal } from '@angular/core';
import type { CallId, IceCandidate, QueuePosition, SignalMessage } from '@switchboard/call-domain';
import { BehaviorSubject, type Observable, Subscription, concatMap, filter, take, timer } from 'rxjs';
import type { CallInbox } from './call-inbox';
import type { SignalingClient } from './signaling-client';

/** Where a call's media stands. `failed` and `ended` are final. */
export type CallSessionState = 'connecting' | 'connected' | 'failed' | 'ended';

/** Which end of the call this browser is. */
export type CallRole = 'caller' | 'agent';

/** The other party, as far as it is known. */
export interface CallPeer {
  id: string;
  displayName: string;
}

/** The part of {@link SignalingClient} a call session uses. */
export type CallSignaling = Pick<
  SignalingClient,
  'sendOffer' | 'sendAnswer' | 'sendCandidate' | 'reportMedia' | 'hangUp' | 'cancelCall' | 'callEnded$' | 'callAccepted$' | 'queueUpdated$'
>;

/** What a {@link CallSession} is made of; the {@link Softphone} assembles it. */
export interface CallSessionInit {
  callId: CallId;
  role: CallRole;
  /** The open microphone; the session stops its tracks when the call ends. */
  microphone: MediaStream;
  /** The call's inbound messages, held until the session starts. */
  inbox: CallInbox;
  signaling: CallSignaling;
  rtcConfiguration: RTCConfiguration;
  /** How long media may take to connect once the call is accepted. */
  mediaTimeoutMs: number;
  /** The other party, when already known (the agent knows the caller). */
  peer?: CallPeer | null;
  /** The caller's first place in line. */
  queuePosition?: QueuePosition | null;
  /**
   * Caller: when to create the SDP offer. `early` (the product): at once, so the offer and ICE
   * gathering are done while the call waits and rings. `late`: only once an agent accepted;
   * a baseline for the call-setup benchmark, never the product's behaviour.
   */
  offer?: OfferTiming;
}

/** When the caller creates its offer; see {@link CallSessionInit.offer}. */
export type OfferTiming = 'early' | 'late';

/**
 * One call's media: one `RTCPeerConnection`, the microphone, and the signaling that sets
 * them up. Created by {@link Softphone}; read its signals from the call screen.
 *
 * The caller offers as soon as it starts and trickles candidates while the call waits and
 * rings; the agent's session starts on Accept, when the held offer and candidates are
 * applied and answered. Media not connected within `mediaTimeoutMs` of acceptance fails the
 * call. Whatever ends it, the peer connection is closed and the microphone released.
 */
export class CallSession {
  /** The call. */
  readonly callId: CallId;
  /** Which end this browser is. */
  readonly role: CallRole;
  /** Where the media stands; replays the current state. */
  readonly state$: Observable<CallSessionState>;
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

  private readonly pc: RTCPeerConnection;
  private readonly init: CallSessionInit;
  private readonly stateSubject = new BehaviorSubject<CallSessionState>('connecting');
  private readonly stateSignal = signal<CallSessionState>('connecting');
  private readonly remote = signal<MediaStream | null>(null);
  private readonly mutedSignal = signal(false);
  private readonly peerSignal: WritableSignal<CallPeer | null>;
  private readonly position: WritableSignal<QueuePosition | null>;
  private readonly subscriptions = new Subscription();
  private accepted = false;
  private reported = false;
  private mediaTimer: Subscription | null = null;

  constructor(init: CallSessionInit) {
    this.init = init;
    this.callId = init.callId;
    this.role = init.role;
    this.state$ = this.stateSubject.asObservable();
    this.state = this.stateSignal.asReadonly();
    this.remoteStream = this.remote.asReadonly();
    this.muted = this.mutedSignal.asReadonly();
    this.peerSignal = signal(init.peer ?? null);
    this.peer = this.peerSignal.asReadonly();
    this.position = signal(init.queuePosition ?? null);
    this.queuePosition = this.position.asReadonly();

    this.pc = new RTCPeerConnection(init.rtcConfiguration);
    for (const track of init.microphone.getAudioTracks()) this.pc.addTrack(track, init.microphone);
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate?.candidate) this.sendCandidate(candidate);
    };
    this.pc.ontrack = ({ track, streams }) => this.remote.set(streams[0] ?? new MediaStream([track]));
    this.pc.onconnectionstatechange = () => this.observeConnection(this.pc.connectionState);
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed') this.fail();
    };

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
    if (init.role === 'caller' && init.offer === 'late') {
      this.subscriptions.add(mine(init.signaling.callAccepted$).pipe(take(1)).subscribe(() => void this.offer()));
    }
    this.subscriptions.add(
      init.inbox.messages$.pipe(concatMap((message) => this.apply(message))).subscribe({ error: () => this.fail() }),
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
    if (this.role === 'agent') {
      this.markAccepted();
      this.init.inbox.accept();
      return;
    }
    if (this.init.offer !== 'late') await this.offer();
  }

  private async offer(): Promise<void> {
    if (this.isOver()) return;
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      const sdp = this.pc.localDescription?.sdp ?? '';
      this.init.inbox.accept();
      await this.init.signaling.sendOffer({ callId: this.callId, messageId: crypto.randomUUID(), description: { type: 'offer', sdp } });
    } catch {
      if (!this.isOver()) this.fail();
    }
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

  /** The peer connection's statistics (audio levels, round-trip time…). */
  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  private async apply(message: SignalMessage): Promise<void> {
    if (this.isOver()) return;
    if (message.kind === 'candidate') {
      // One unusable candidate (e.g. an unreachable network) must not end the call: ICE
      // tries the others and reports failure itself if none works.
      await this.pc.addIceCandidate(message.candidate).catch(() => undefined);
      return;
    }
    await this.pc.setRemoteDescription(message.description);
    if (message.kind === 'answer') {
      this.markAccepted();
      return;
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const sdp = this.pc.localDescription?.sdp ?? '';
    this.init.signaling
      .sendAnswer({ callId: this.callId, messageId: crypto.randomUUID(), description: { type: 'answer', sdp } })
      .catch(() => this.fail());
  }

  private sendCandidate(candidate: RTCIceCandidate): void {
    const init: IceCandidate = {
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid,
      sdpMLineIndex: candidate.sdpMLineIndex,
      usernameFragment: candidate.usernameFragment,
    };
    // A candidate the server refuses (the call just ended) changes nothing: ICE has others.
    this.init.signaling.sendCandidate({ callId: this.callId, messageId: crypto.randomUUID(), candidate: init }).catch(() => undefined);
  }

  private markAccepted(): void {
    if (this.accepted && this.mediaTimer) return;
    this.accepted = true;
    this.mediaTimer = timer(this.init.mediaTimeoutMs).subscribe(() => {
      if (this.stateSubject.value === 'connecting') this.fail();
    });
  }

  private observeConnection(state: RTCPeerConnectionState): void {
    if (state === 'connected' && this.stateSubject.value === 'connecting') {
      this.mediaTimer?.unsubscribe();
      this.setState('connected');
      this.report('connected');
    } else if (state === 'failed') {
      this.fail();
    }
  }

  private fail(): void {
    if (this.isOver()) return;
    const wasConnected = this.stateSubject.value === 'connected';
    this.setState('failed');
    if (!this.reported) this.report('failed');
    // Media already reported connected: the report cannot be taken back, so end the call.
    else if (wasConnected) this.init.signaling.hangUp({ callId: this.callId }).catch(() => undefined);
    this.release();
  }

  private finish(): void {
    if (this.isOver()) return;
    this.setState('ended');
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
    this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = this.pc.oniceconnectionstatechange = null;
    this.pc.close();
    for (const track of this.init.microphone.getTracks()) track.stop();
  }

  private setState(state: CallSessionState): void {
    this.stateSubject.next(state);
    this.stateSignal.set(state);
  }

  private isOver(): boolean {
    const state = this.stateSubject.value;
    return state === 'failed' || state === 'ended';
  }
}
