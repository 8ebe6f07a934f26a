import { type Signal, type WritableSignal, signal } from '@angular/core';
import { QUALITY_SAMPLE_MS, judgeQuality, type CallId, type IceCandidate, type NegotiationId, type QualitySample, type QueuePosition, type SignalMessage } from '@switchboard/call-domain';
import { type Observable, Subscription, filter, firstValueFrom, take, timeout, timer } from 'rxjs';
import type { CallPeer, CallRole, CallSessionInit, CallSessionState, RenegotiateOptions } from './call-session-init';
import { PeerLink } from './peer-link';
import { type AudioCounters, readQuality } from './quality-meter';
import { SignalingError } from './signaling-errors';

/** How long ICE may stay `disconnected` before the caller restarts it, unless the init says otherwise. */
const DEFAULT_ICE_RESTART_AFTER_MS = 1500;
/** How soon an ICE restart that could not be sent is tried again. */
const RESTART_RETRY_MS = 1000;
/** How often a connected call checks that audio still arrives. */
const MEDIA_WATCH_MS = 250;
/** How long audio may stop arriving before the path counts as broken. */
const MEDIA_STALL_MS = 1000;

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
 *
 * When the network path of a connected call breaks, both sides are `reconnecting`: the
 * caller restarts ICE (fresh ICE servers, then a new negotiation with `iceRestart`, reason
 * `ice_restart`) once the path has been broken for `iceRestartAfterMs` (ICE `disconnected`,
 * or no audio arriving for 1 s) or at once when ICE `failed`, again after each attempt that fails, as soon as its socket is connected; the
 * agent answers the re-offer on the same peer connection. Media not back within
 * `mediaTimeoutMs` of the break fails the call.
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
  /**
   * The latest quality sample (MOS, warnings), taken every 2 s while connected and reported
   * to the server (`reportQuality`); null before the first.
   */
  readonly quality: Signal<QualitySample | null>;

  private link: PeerLink;
  private init: CallSessionInit;
  private readonly stateSignal = signal<CallSessionState>('connecting');
  private readonly remote = signal<MediaStream | null>(null);
  private readonly mutedSignal = signal(false);
  private readonly negotiation = signal<NegotiationId | null>(null);
  private readonly qualitySignal = signal<QualitySample | null>(null);
  /** Samples the call's quality, from the first time media connected. */
  private qualityWatch: Subscription | null = null;
  private readonly peerSignal: WritableSignal<CallPeer | null>;
  private readonly position: WritableSignal<QueuePosition | null>;
  private readonly subscriptions = new Subscription();
  /** The peer-connection work (descriptions, candidates), one step at a time in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The offer whose answer (made ahead) went with the accept: not sent again. */
  private answerSentFor: string | null = null;
  private accepted = false;
  /** Caller: the answer applied last on each connection, as it came (the browser's copy gains the candidates added since). */
  private readonly appliedAnswers = new WeakMap<RTCPeerConnection, string>();
  /** Caller: a provisional answer (early media) is applied, and the call not accepted yet. */
  private earlyAnswered = false;
  /** The accepting page's answer (sent again with the accept) matched the provisional one this connection was made with. */
  private earlyAnswerConfirmed = false;
  /**
   * Accepted on a connection made with a provisional answer that the accepting page has not
   * confirmed yet: the microphone waits for its answer (see markAccepted).
   */
  private holdingMicrophone = false;
  private reported = false;
  private mediaTimer: Subscription | null = null;
  private restartTimer: Subscription | null = null;
  /** Whether an ICE restart is on its way (one at a time). */
  private restarting = false;
  /** Watches whether audio still arrives, from the first time media connected. */
  private mediaWatch: Subscription | null = null;
  /** Whether audio stopped arriving while the connection still says `connected`. */
  private stalled = false;

  constructor(init: CallSessionInit) {
    this.init = init;
    this.callId = init.callId;
    this.role = init.role;
    this.state = this.stateSignal.asReadonly();
    this.remoteStream = this.remote.asReadonly();
    this.muted = this.mutedSignal.asReadonly();
    this.negotiationId = this.negotiation.asReadonly();
    this.quality = this.qualitySignal.asReadonly();
    this.peerSignal = signal(init.peer ?? null);
    this.peer = this.peerSignal.asReadonly();
    this.position = signal(init.queuePosition ?? null);
    this.queuePosition = this.position.asReadonly();
    this.link = this.createLink(init.peerConnection);

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
    if (init.role === 'caller') {
      // The ring ended without accept: the connection made with that agent's provisional answer is void.
      this.subscriptions.add(
        mine(init.signaling.ringEnded$).subscribe(() => {
          if (!this.earlyAnswered || this.accepted) return;
          this.earlyAnswered = false;
          this.renegotiate({ freshConnection: true }).catch(() => undefined);
        }),
      );
      // The agent's page reloaded and answers from a new peer connection: offer again from a new one.
      this.subscriptions.add(
        mine(init.signaling.callResumed$).subscribe(() => {
          if (this.stateSignal() === 'connected') this.stateSignal.set('reconnecting');
          this.renegotiate({ freshConnection: true }).catch(() => undefined);
        }),
      );
    }
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
   * Sends `microphone` from now on (another device chosen mid-call): its track replaces the
   * one on the peer connection without a new negotiation, keeps the muted state, and the old
   * microphone is released. A call that is over just releases `microphone`.
   */
  async replaceMicrophone(microphone: MediaStream): Promise<void> {
    if (this.isOver()) {
      for (const track of microphone.getTracks()) track.stop();
      return;
    }
    const previous = this.init.microphone;
    this.init = { ...this.init, microphone };
    const track = microphone.getAudioTracks()[0] ?? null;
    if (track) track.enabled = !this.mutedSignal();
    const senders = this.link.pc.getSenders().filter((s) => s.track?.kind === 'audio');
    await Promise.all(senders.map((sender) => sender.replaceTrack(track)));
    for (const old of previous.getTracks()) old.stop();
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

  /**
   * Agent: the server relayed the answer made ahead to `offer` — with the accept, or as a
   * provisional answer while the call rang: when the session applies that offer it sends no
   * `sendAnswer` (call before {@link start}).
   */
  answeredWithAccept(offer: RTCSessionDescriptionInit): void {
    this.answerSentFor = offer.sdp ?? null;
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
      await this.offer(this.init.resumed ? { reason: 'resume' } : {});
    } catch {
      if (!this.isOver()) this.fail();
    }
  }

  /** Makes, sets and sends an offer of a new negotiation (which the inbox learns at once). */
  private offer({ iceRestart = false, freshConnection = false, reason }: RenegotiateOptions): Promise<NegotiationId> {
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
      const offer = { callId: this.callId, messageId: crypto.randomUUID(), negotiationId, ...(reason ? { reason } : {}), description: { type: 'offer' as const, sdp } };
      // Not accepted yet: nothing is sent until it is, so the ringing agent may answer provisionally.
      if (this.accepted) await this.init.signaling.sendOffer(offer);
      else {
        await this.init.signaling.sendOffer({ ...offer, earlyMedia: true }).catch((error: unknown) => {
          // A server from before early media (a node not upgraded yet) refuses the field: the same offer without it.
          if (!(error instanceof SignalingError && error.code === 'bad_request')) throw error;
          return this.init.signaling.sendOffer({ ...offer, messageId: crypto.randomUUID() });
        });
      }
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
      const applied = pc.signalingState === 'stable' ? this.appliedAnswers.get(pc) : undefined;
      if (applied !== undefined && applied !== message.description.sdp) {
        // Another provisional answer (another tab of the ringing agent): the first one stands; the accept says which counts.
        if (message.provisional && !this.accepted) return;
        // The accepted agent's answer is not the provisional one applied (another tab accepted,
        // or the ring's end did not reach this page): start over on a new connection. Nothing
        // goes on the old one: it leads to a page that did not take the call.
        this.holdingMicrophone = false;
        this.markAccepted(false);
        this.renegotiate({ freshConnection: true }).catch(() => undefined);
        return;
      }
      if (applied !== undefined && !message.provisional) {
        // The accepting page confirms the connection made while it rang.
        if (this.holdingMicrophone) {
          this.holdingMicrophone = false;
          this.link.send(this.init.microphone);
        } else if (!this.accepted) {
          this.earlyAnswerConfirmed = true;
        }
      }
      // The answer already applied (sent provisionally, then again by an older agent's page): nothing to do.
      if (applied === undefined) {
        await pc.setRemoteDescription(message.description);
        this.appliedAnswers.set(pc, message.description.sdp);
      }
      // A provisional answer connects the media path while it rings; only `callAccepted` makes the call answered.
      if (message.provisional && !this.accepted) this.earlyAnswered = true;
      else this.markAccepted();
      return;
    }
    await this.answer(message);
  }

  /** Agent: applies an offer (the first, or one that replaces the current negotiation) and answers it. */
  private async answer(offer: SignalMessage & { kind: 'offer' }): Promise<void> {
    const replacing = this.link.pc.remoteDescription !== null;
    if (this.link.isNewFarEnd(offer.description)) {
      // The caller's page reloaded and resumes on a new connection: reconnecting until it connects.
      if (this.stateSignal() === 'connected') this.stateSignal.set('reconnecting');
      this.replaceLink();
    }
    const negotiationId = offer.negotiationId ?? this.negotiation() ?? undefined;
    this.negotiation.set(negotiationId ?? null);
    if (replacing) this.expectMedia();
    const link = this.link;
    link.negotiationId = negotiationId;
    // Answered ahead while the call rang: its answer (with the candidates gathered since) goes as it is.
    if (!link.answeredAhead(offer.description)) {
      await link.pc.setRemoteDescription(offer.description);
      await link.pc.setLocalDescription(await link.pc.createAnswer());
    }
    if (this.answerSentFor !== null && this.answerSentFor === offer.description.sdp && link.answeredAhead(offer.description)) {
      // Already relayed with the accept.
      this.answerSentFor = null;
      return;
    }
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

  private createLink(pc?: RTCPeerConnection): PeerLink {
    const events = {
      candidate: (candidate: IceCandidate, negotiationId: NegotiationId | undefined) => this.sendCandidate(candidate, negotiationId),
      remoteStream: (stream: MediaStream) => this.remote.set(stream),
      connectionState: (state: RTCPeerConnectionState) => this.observeConnection(state),
    };
    // A caller sends nothing before the call is accepted (see markAccepted); an agent's session starts on Accept.
    return new PeerLink(this.init.rtcConfiguration, this.init.microphone, events, pc, this.role === 'agent' || this.accepted);
  }

  /** Closes the peer connection and carries on with a new one (the microphone stays). */
  private replaceLink(): void {
    this.cancelRestart();
    this.earlyAnswerConfirmed = false;
    this.holdingMicrophone = false;
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

  /**
   * The call is accepted (or taken up again): the microphone goes on the connection, the media
   * must connect in time, and a connection already up (made while it rang, with a provisional
   * answer) counts from now.
   */
  private markAccepted(onThisConnection = true): void {
    if (this.accepted) return;
    this.accepted = true;
    // Made while it rang with a provisional answer: the microphone goes on only once the
    // accepting page's answer says it is the page this connection leads to (a ring that ended
    // without this page hearing of it may have left it connected to another agent's page).
    this.holdingMicrophone = onThisConnection && this.earlyAnswered && !this.earlyAnswerConfirmed;
    this.earlyAnswered = false;
    if (onThisConnection && !this.holdingMicrophone) this.link.send(this.init.microphone);
    this.expectMedia();
    this.observeConnection(this.link.pc.connectionState);
  }

  /** (Re)starts the media timeout: the current peer connection must connect (and carry audio) within `mediaTimeoutMs`. */
  private expectMedia(): void {
    this.mediaTimer?.unsubscribe();
    this.mediaTimer = timer(this.init.mediaTimeoutMs).subscribe(() => {
      if (this.link.pc.connectionState !== 'connected' || this.stalled) this.fail();
    });
  }

  /** The peer connection's state changed: the media path is judged again. */
  private observeConnection(state: RTCPeerConnectionState): void {
    // Before Accept the path may connect (early media), but the call is not connected: nothing is judged or reported.
    if (!this.accepted) return;
    if (state === 'connected') {
      this.watchMedia();
      this.watchQuality();
    }
    this.judgePath(state);
  }

  /**
   * Where the media path stands, from the connection's state and whether audio still arrives:
   * connected and flowing → `connected`; broken after it had connected → `reconnecting` (the
   * caller plans an ICE restart, and the media timer bounds the wait); a failure before it
   * ever connected is final.
   */
  private judgePath(state: RTCPeerConnectionState = this.link.pc.connectionState): void {
    const current = this.stateSignal();
    if (state === 'connected' && !this.stalled) {
      this.mediaTimer?.unsubscribe();
      this.mediaTimer = null;
      this.cancelRestart();
      if (current !== 'connecting' && current !== 'reconnecting') return;
      this.stateSignal.set('connected');
      this.report('connected');
      return;
    }
    const broken = state === 'disconnected' || state === 'failed' || (state === 'connected' && this.stalled);
    if (!broken) return;
    if (current !== 'connected' && current !== 'reconnecting') {
      if (state === 'failed') this.fail();
      return;
    }
    if (current === 'connected') {
      this.stateSignal.set('reconnecting');
      this.expectMedia();
    }
    if (this.role === 'caller') this.scheduleRestart(state === 'failed' ? 0 : (this.init.iceRestartAfterMs ?? DEFAULT_ICE_RESTART_AFTER_MS));
  }

  /**
   * Watches the audio arriving on the current peer connection (its packet count, every
   * {@link MEDIA_WATCH_MS}): ICE reports a broken path only after several seconds, while
   * packets stop at once. Audio that stalls for {@link MEDIA_STALL_MS} counts as a broken
   * path; audio arriving again counts as a path back. (A muted far end still sends packets.)
   */
  private watchMedia(): void {
    if (this.mediaWatch) return;
    let pc = this.link.pc;
    let packets = -1;
    let grewAt = Date.now();
    this.mediaWatch = timer(MEDIA_WATCH_MS, MEDIA_WATCH_MS).subscribe(() => {
      const link = this.link;
      link.pc
        .getStats()
        .then((report) => {
          if (this.isOver() || link !== this.link) return;
          let received = 0;
          report.forEach((s: { type?: string; kind?: string; packetsReceived?: number }) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') received += s.packetsReceived ?? 0;
          });
          const now = Date.now();
          if (link.pc !== pc || received > packets) {
            pc = link.pc;
            packets = received;
            grewAt = now;
          }
          const stalled = now - grewAt >= MEDIA_STALL_MS;
          if (stalled === this.stalled) return;
          this.stalled = stalled;
          this.judgePath();
        })
        .catch(() => undefined);
    });
  }

  /**
   * Every {@link QUALITY_SAMPLE_MS} while connected: reads the current peer connection's
   * statistics ({@link readQuality}), judges them (MOS, warnings), shows the sample and
   * reports it. Loss is counted from the previous sample of the same connection.
   */
  private watchQuality(): void {
    if (this.qualityWatch) return;
    let pc: RTCPeerConnection | null = null;
    let counters: AudioCounters | null = null;
    this.qualityWatch = timer(QUALITY_SAMPLE_MS, QUALITY_SAMPLE_MS).subscribe(() => {
      const link = this.link;
      if (this.stateSignal() !== 'connected') return;
      link.pc
        .getStats()
        .then((report) => {
          if (this.isOver() || link !== this.link) return;
          const reading = readQuality(report, link.pc === pc ? counters : null);
          pc = link.pc;
          counters = reading.counters;
          const sample = judgeQuality(reading.figures);
          this.qualitySignal.set(sample);
          this.init.signaling.reportQuality({ callId: this.callId, ...reading.figures, mos: sample.mos }).catch(() => undefined);
        })
        .catch(() => undefined);
    });
  }

  /** Caller: restarts ICE after `delayMs`, unless one is already planned or under way. */
  private scheduleRestart(delayMs: number): void {
    if (this.restartTimer || this.restarting) return;
    this.restartTimer = timer(delayMs).subscribe(() => {
      this.restartTimer = null;
      void this.restartIce();
    });
  }

  private cancelRestart(): void {
    this.restartTimer?.unsubscribe();
    this.restartTimer = null;
  }

  /**
   * Caller: one ICE restart — once the socket is connected, fresh ICE servers (new TURN
   * credentials), then an offer with new ICE credentials. An attempt that fails is tried
   * again shortly; the media timer started by the break bounds them all.
   */
  private async restartIce(): Promise<void> {
    if (this.restarting || this.stateSignal() !== 'reconnecting') return;
    this.restarting = true;
    let sent = false;
    try {
      const connected$ = this.init.signaling.connectionState$.pipe(filter((s) => s === 'connected'));
      await firstValueFrom(connected$.pipe(timeout(this.init.mediaTimeoutMs)));
      if (this.stateSignal() !== 'reconnecting') return;
      const fresh = await this.init.refreshRtcConfiguration?.().catch(() => null);
      if (fresh && this.stateSignal() === 'reconnecting') {
        try {
          this.link.pc.setConfiguration(fresh);
        } catch {
          // A configuration the connection cannot take (changed certificates…): the old one stays.
        }
      }
      await this.offer({ iceRestart: true, reason: 'ice_restart' });
      sent = true;
    } catch {
      // Not sent (no socket, no ack): tried again below while the call is still reconnecting.
    } finally {
      this.restarting = false;
    }
    if (!sent && this.stateSignal() === 'reconnecting') this.scheduleRestart(RESTART_RETRY_MS);
  }

  private fail(): void {
    if (this.isOver()) return;
    const state = this.stateSignal();
    const wasConnected = state === 'connected' || state === 'reconnecting';
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
    this.mediaWatch?.unsubscribe();
    this.qualityWatch?.unsubscribe();
    this.cancelRestart();
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
