import { Injectable, inject } from '@angular/core';
import type { AnswerMessage, CallbackCall, CallId, CallOffer, CallRef, IceCandidate, QueuePosition, SignalMessage } from '@switchboard/call-domain';
import { Subscription, filter, merge, take, timer } from 'rxjs';
import type { CallInbox } from './call-inbox';
import { CallSession } from './call-session';
import type { CallPeer, CallRole, OfferTiming } from './call-session-init';
import { MICROPHONE, openMicrophone } from './microphone';
import { answerAhead } from './peer-link';
import { SignalingClient } from './signaling-client';
import { SignalingError } from './signaling-errors';
import { SIGNALING_OPTIONS } from './signaling-socket';

/** A prepared peer connection nobody took is closed after this, whatever happened to its call. */
const PREPARED_LIFETIME_MS = 120_000;

/** An offered call's peer connection, made while it rings (see {@link Softphone.prepareAccept}). */
interface PreparedAccept {
  /** Its configuration and the connection; null when the ICE servers could not be fetched. */
  ready: Promise<{ rtcConfiguration: RTCConfiguration; pc: RTCPeerConnection } | null>;
  /** The answer made ahead to the held offer, while it is being made. */
  answering: Promise<unknown> | null;
  /** The offer answered ahead, once it is. */
  answered: (SignalMessage & { kind: 'offer' }) | null;
  /** The offer whose answer the server relayed to the caller as a provisional answer (early media), and that answer, once it did. */
  provisional: { offer: SignalMessage & { kind: 'offer' }; sdp: string } | null;
  /** Ends it when the offer goes away; waits for the offer. */
  watch: Subscription;
  /** Whether it was taken or discarded: no offer is answered ahead any more. */
  done: boolean;
  /** Whether it was discarded: no connection is made any more. */
  discarded: boolean;
  /**
   * The microphone, opened while it rings so that Accept waits for nothing (nothing is sent
   * before Accept: the connection has no track until then); rejects when it was refused.
   */
  microphone: Promise<MediaStream>;
}

/**
 * Places and answers calls: opens the microphone, talks to the server and hands back a
 * started {@link CallSession}. The microphone comes first, so a refused microphone places
 * or accepts nothing (the promise rejects with a {@link MicrophoneError}).
 */
@Injectable({ providedIn: 'root' })
export class Softphone {
  private readonly signaling = inject(SignalingClient);
  private readonly microphone = inject(MICROPHONE);
  private readonly options = inject(SIGNALING_OPTIONS);
  /** Offered calls' peer connections made while they ring, by call (one ringing call at a time). */
  private readonly prepared = new Map<CallId, PreparedAccept>();

  /**
   * Student: places a call. Resolves once the call is in line, its ICE servers are known and
   * the offer is on its way; rejects with a `MicrophoneError` (nothing placed) or a
   * `SignalingError` (refused; a call placed but given no ICE servers is cancelled).
   *
   * @param options.offer `late` creates the offer only after an agent accepted: the
   *   call-setup benchmark's baseline (`/help?offer=late`), not for real calls.
   */
  async placeCall(options: { offer?: OfferTiming } = {}): Promise<CallSession> {
    const microphone = await openMicrophone(this.microphone);
    let position;
    try {
      position = await this.signaling.requestCall();
    } catch (error) {
      stopTracks(microphone);
      throw error;
    }
    return this.offerCall(position.callId, microphone, null, position, options.offer ?? 'early');
  }

  /**
   * Agent: calls a student back about the callback request they took (an outbound call). The
   * agent's side offers, as a student's does on a call they place: the offer and ICE candidates
   * go out while it rings at the student, whose page holds them until they accept. Resolves
   * once the call rings and the offer is on its way; rejects like {@link placeCall}.
   */
  async placeCallback(callbackId: string): Promise<CallSession> {
    const microphone = await openMicrophone(this.microphone);
    let call: CallbackCall;
    try {
      call = await this.signaling.placeCallback(callbackId);
    } catch (error) {
      stopTracks(microphone);
      throw error;
    }
    return this.offerCall(call.callId, microphone, call.student, null, 'early');
  }

  /** The offering side of a call just placed: its inbox, ICE servers and session, started. */
  private async offerCall(callId: CallId, microphone: MediaStream, peer: CallPeer | null, position: QueuePosition | null, offer: OfferTiming): Promise<CallSession> {
    const inbox = this.signaling.inbox(callId, 'answer');
    if (!inbox) {
      stopTracks(microphone);
      throw new SignalingError({ code: 'invalid_state', message: 'The call ended before it started.' });
    }
    let rtcConfiguration: RTCConfiguration;
    try {
      rtcConfiguration = await this.rtcConfiguration(callId);
    } catch (error) {
      // Without its ICE servers the call could not connect: it ends at once.
      inbox.close();
      stopTracks(microphone);
      this.signaling.cancelCall({ callId }).catch(() => undefined);
      throw error;
    }
    const session = this.createSession('caller', microphone, inbox, rtcConfiguration, peer, position, offer);
    await session.start();
    return session;
  }

  /**
   * Agent: accepts an offered call. Opens the microphone and the peer connection, asks the
   * server, then applies the offer and candidates held since the call was offered and
   * answers. Rejects with a `MicrophoneError` (not accepted: the call keeps ringing) or a
   * `SignalingError` (e.g. the offer was withdrawn or taken in another tab).
   *
   * @param call The offer from `callOffered$` (its caller becomes the session's `peer`), or
   *   just its id.
   */
  async acceptCall(call: CallOffer | CallRef): Promise<CallSession> {
    const callId = call.callId;
    return this.answerCall(callId, 'caller' in call ? call.caller : null, async (answer) => {
      if (!answer) return this.signaling.acceptCall({ callId }).then(() => false);
      try {
        return (await this.signaling.acceptCall({ callId, answer })).answerRelayed === true;
      } catch (error) {
        // The caller offered anew meanwhile: the accept goes alone, the new offer is answered after it.
        if (error instanceof SignalingError && error.code === 'stale_negotiation') return this.signaling.acceptCall({ callId }).then(() => false);
        throw error;
      }
    });
  }

  /**
   * Student: accepts the callback ringing at them (`callbackRinging$`), as an agent accepts a
   * call: the agent's offer and candidates, held by this page's inbox since it rang, are
   * applied once the server confirmed, and answered. Rejects like {@link acceptCall}.
   */
  async acceptCallback(call: CallbackCall): Promise<CallSession> {
    return this.answerCall(call.callId, call.agent, () => this.signaling.acceptCallback({ callId: call.callId }).then(() => false));
  }

  /**
   * The answering side: microphone and ICE servers, the session, `accept` to the server, then
   * the held messages. `accept` gets the answer made ahead while the call rang, if any, to send
   * with the accept; it resolves with whether the server relayed it (then the session does not
   * send it again).
   */
  private async answerCall(callId: CallId, peer: CallPeer | null, accept: (answer?: AnswerMessage) => Promise<boolean>): Promise<CallSession> {
    const withdrawn = (): SignalingError =>
      new SignalingError({ code: 'invalid_state', message: 'This call is no longer offered to you.' });
    if (!this.signaling.inbox(callId, 'offer')) throw withdrawn();
    const prepared = this.takePrepared(callId);
    const { microphone, rtcConfiguration, pc } = await this.prepare(callId, prepared);
    const inbox = this.signaling.inbox(callId, 'offer');
    if (!inbox) {
      pc?.close();
      stopTracks(microphone);
      throw withdrawn();
    }
    const session = this.createSession('agent', microphone, inbox, rtcConfiguration, peer, null, 'early', false, pc);
    const offer = prepared?.answered;
    // Answered provisionally while it rang: the connection is up or on its way. The same answer
    // goes with the accept, so that the caller knows which of the ringing agent's tabs (each may
    // have answered provisionally) took the call — an answer it did not apply makes it start over.
    const provisional = offer && prepared?.provisional?.offer === offer ? prepared.provisional : null;
    const answer = provisional && offer ? answerMessage(callId, offer, provisional.sdp) : offer && pc ? answerMadeAhead(callId, offer, pc) : undefined;
    try {
      if (((await accept(answer)) || provisional) && offer) session.answeredWithAccept(offer.description);
    } catch (error) {
      session.close();
      throw error;
    }
    await session.start();
    return session;
  }

  /**
   * Agent: gets an offered call ready while it rings, so that Accept waits for nothing the
   * ringing time could do: opens the microphone (the browser shows it in use, but no track is
   * on the connection before Accept: nothing is heard or sent), fetches the call's ICE
   * servers, makes its peer connection and, once the caller's offer is here, answers it
   * (`answerAhead`): the connection gathers its candidates — the STUN address and the TURN
   * relay take round trips to those servers.
   *
   * **Early media**: when the caller's offer says `earlyMedia`, that answer goes to the caller
   * at once as a *provisional* answer, the agent's candidates follow it and the caller's are
   * added as they arrive, so ICE and DTLS complete while it rings. Nothing is sent on the media
   * in either direction before Accept (this connection has no track until then, the caller's
   * none until `callAccepted`), and no session exists here to play the caller's side. An older
   * caller or server (the provisional answer refused) gets the answer with the accept instead.
   * A newer offer of the call (the caller offered anew after an earlier ring was void) gets a
   * new connection.
   *
   * {@link acceptCall} then uses it. It is closed when the offer is withdrawn or the call ends,
   * when another call is prepared, on {@link discardPrepared}, and after 2 minutes at the
   * latest, and the microphone with it. Failing to fetch the ICE servers or to open the
   * microphone changes nothing: Accept tries again.
   */
  prepareAccept(call: CallRef): void {
    const callId = call.callId;
    const inbox = this.signaling.inbox(callId, 'offer');
    if (this.prepared.has(callId) || !inbox) return;
    for (const other of [...this.prepared.keys()]) this.discardPrepared(other);
    const microphone = openMicrophone(this.microphone);
    microphone.catch(() => undefined); // Accept tries again and reports it
    const prepared: PreparedAccept = {
      ready: Promise.resolve(null),
      answering: null,
      answered: null,
      provisional: null,
      watch: new Subscription(),
      done: false,
      discarded: false,
      microphone,
    };
    prepared.ready = this.rtcConfiguration(callId).then(
      (rtcConfiguration) => (prepared.discarded ? null : { rtcConfiguration, pc: new RTCPeerConnection(rtcConfiguration) }),
      () => null,
    );
    const mine = filter((e: CallRef) => e.callId === callId);
    prepared.watch.add(
      merge(this.signaling.offerWithdrawn$.pipe(mine), this.signaling.callEnded$.pipe(mine), timer(PREPARED_LIFETIME_MS))
        .pipe(take(1))
        .subscribe(() => this.discardPrepared(callId)),
    );
    prepared.watch.add(
      inbox.description$.subscribe((offer) => {
        if (offer.kind !== 'offer') return;
        prepared.answering = Promise.resolve(prepared.answering)
          .then(() => this.answerWhileRinging(inbox, prepared, offer))
          .catch(() => undefined);
      }),
    );
    this.prepared.set(callId, prepared);
  }

  /** Answers `offer` on the prepared connection (a new one if it answered an older offer) and, if the offer takes it, sends that answer provisionally. */
  private async answerWhileRinging(inbox: CallInbox, prepared: PreparedAccept, offer: SignalMessage & { kind: 'offer' }): Promise<void> {
    let made = await prepared.ready;
    if (!made || prepared.done) return;
    if (prepared.answered) {
      made.pc.close();
      made = { rtcConfiguration: made.rtcConfiguration, pc: new RTCPeerConnection(made.rtcConfiguration) };
      prepared.ready = Promise.resolve(made);
      prepared.answered = prepared.provisional = null;
    }
    const pc = made.pc;
    const early = offer.earlyMedia === true;
    const gathered: IceCandidate[] = [];
    let send: ((candidate: IceCandidate) => void) | null = null;
    if (early) {
      pc.onicecandidate = ({ candidate }) => {
        if (!candidate?.candidate) return;
        const { sdpMid, sdpMLineIndex, usernameFragment } = candidate;
        const found = { candidate: candidate.candidate, sdpMid, sdpMLineIndex, usernameFragment };
        if (send) send(found);
        else gathered.push(found);
      };
    }
    if (!(await answerAhead(pc, offer.description))) return;
    prepared.answered = offer;
    if (!early || prepared.done) return;
    const { callId, negotiationId } = offer;
    const ofNegotiation = negotiationId ? { negotiationId } : {};
    // As sent: the connection's own copy gains the candidates gathered meanwhile.
    const sdp = pc.localDescription?.sdp ?? '';
    try {
      await this.signaling.sendAnswer({ ...answerMessage(callId, offer, sdp), provisional: true });
    } catch {
      // Not taken (an older server, the ring already over): the answer goes with the accept.
      pc.onicecandidate = null;
      return;
    }
    prepared.provisional = { offer, sdp };
    if (prepared.done && prepared.discarded) return;
    send = (candidate) => void this.signaling.sendCandidate({ callId, messageId: crypto.randomUUID(), ...ofNegotiation, candidate }).catch(() => undefined);
    for (const candidate of gathered.splice(0)) send(candidate);
    // The caller's candidates of this negotiation, those held and those to come: ICE checks them at once.
    prepared.watch.add(
      inbox.arrivals$
        .pipe(filter((m) => m.kind === 'candidate' && (m.negotiationId === undefined || m.negotiationId === negotiationId)))
        .subscribe((m) => {
          if (m.kind === 'candidate') pc.addIceCandidate(m.candidate).catch(() => undefined);
        }),
    );
  }

  /** Agent: closes what {@link prepareAccept} made for a call that will not be accepted here (e.g. declined). */
  discardPrepared(callId: CallId): void {
    const prepared = this.takePrepared(callId);
    if (!prepared) return;
    prepared.discarded = true;
    void prepared.ready.then((made) => made?.pc.close());
    prepared.microphone.then(stopTracks, () => undefined);
  }

  /** Removes a call's prepared connection from the list (no offer is answered ahead after this), for the caller to use or close. */
  private takePrepared(callId: CallId): PreparedAccept | undefined {
    const prepared = this.prepared.get(callId);
    this.prepared.delete(callId);
    prepared?.watch.unsubscribe();
    if (prepared) prepared.done = true;
    return prepared;
  }

  /**
   * Takes up again, on a new peer connection, a call this user is already in (the server
   * says so) after the page reloaded: the old page's peer connection is gone with it. A
   * caller offers a new negotiation at once; an agent answers the next offer of the call
   * (the caller's new negotiation, on a new peer connection). Sends neither `requestCall`
   * nor `acceptCall`. Rejects with a `MicrophoneError`, or a `SignalingError`
   * (`invalid_state`) for a call that already ended here.
   *
   * @param call The call, this browser's role in it, and the other party when known.
   */
  async resumeCall(call: { callId: CallId; role: CallRole; peer?: CallPeer | null }): Promise<CallSession> {
    const awaits = call.role === 'caller' ? 'answer' : 'offer';
    const { microphone, rtcConfiguration } = await this.prepare(call.callId);
    const inbox = this.signaling.inbox(call.callId, awaits);
    if (!inbox) {
      stopTracks(microphone);
      throw new SignalingError({ code: 'invalid_state', message: 'This call has ended.' });
    }
    const session = this.createSession(call.role, microphone, inbox, rtcConfiguration, call.peer ?? null, null, 'early', true);
    await session.start();
    return session;
  }

  /**
   * Opens the microphone (or takes the one opened while the call rang, trying again if it was
   * refused then) and, at the same time, takes the connection prepared while the call rang or
   * else fetches the call's ICE servers; rejects with the microphone's error first (a refused
   * microphone must say so), releasing what opened.
   */
  private async prepare(
    callId: CallId,
    prepared?: PreparedAccept,
  ): Promise<{ microphone: MediaStream; rtcConfiguration: RTCConfiguration; pc?: RTCPeerConnection }> {
    // An answer being made ahead is finished (a few milliseconds); one not started never starts.
    // (An answer made for a newer offer replaces the connection: read it after.)
    const taken = prepared ? Promise.resolve(prepared.answering).then(() => prepared.ready) : Promise.resolve(null);
    const connection = taken.then(
      async (made): Promise<{ rtcConfiguration: RTCConfiguration; pc?: RTCPeerConnection }> => made ?? { rtcConfiguration: await this.rtcConfiguration(callId) },
    );
    const opened = prepared ? prepared.microphone.catch(() => openMicrophone(this.microphone)) : openMicrophone(this.microphone);
    const [microphone, ready] = await Promise.allSettled([opened, connection]);
    if (microphone.status === 'rejected') {
      if (ready.status === 'fulfilled') ready.value.pc?.close();
      throw microphone.reason;
    }
    if (ready.status === 'rejected') {
      stopTracks(microphone.value);
      throw ready.reason;
    }
    return { microphone: microphone.value, ...ready.value };
  }

  /**
   * The peer connections' configuration for one call: the ICE servers and transport policy
   * the server hands out for it (fresh TURN credentials each time), after any ICE servers
   * set in `SIGNALING_OPTIONS`.
   */
  private async rtcConfiguration(callId: CallId): Promise<RTCConfiguration> {
    const ice = await this.signaling.getIceServers({ callId });
    const base = this.options.rtcConfiguration;
    return { ...base, iceServers: [...(base.iceServers ?? []), ...ice.iceServers], iceTransportPolicy: ice.iceTransportPolicy };
  }

  private createSession(
    role: CallRole,
    microphone: MediaStream,
    inbox: CallInbox,
    rtcConfiguration: RTCConfiguration,
    peer: CallPeer | null,
    queuePosition: QueuePosition | null,
    offer: OfferTiming = 'early',
    resumed = false,
    peerConnection?: RTCPeerConnection,
  ): CallSession {
    const callId = inbox.callId;
    return new CallSession({
      callId,
      role,
      peer,
      queuePosition,
      offer,
      resumed,
      microphone,
      inbox,
      signaling: this.signaling,
      rtcConfiguration,
      peerConnection,
      refreshRtcConfiguration: () => this.rtcConfiguration(callId),
      mediaTimeoutMs: this.options.mediaTimeoutMs,
    });
  }
}

/** The answer `pc` made ahead to `offer` (with the candidates gathered since), as `sendAnswer` takes it; none if it moved on. */
function answerMadeAhead(callId: CallId, offer: SignalMessage & { kind: 'offer' }, pc: RTCPeerConnection): AnswerMessage | undefined {
  const local = pc.localDescription;
  if (pc.signalingState !== 'stable' || local?.type !== 'answer' || pc.remoteDescription?.sdp !== offer.description.sdp) return undefined;
  return answerMessage(callId, offer, local.sdp);
}

/** An answer to `offer` (of its negotiation), as `sendAnswer` takes it. */
function answerMessage(callId: CallId, offer: SignalMessage & { kind: 'offer' }, sdp: string): AnswerMessage {
  const negotiationId = offer.negotiationId;
  return { callId, messageId: crypto.randomUUID(), ...(negotiationId ? { negotiationId } : {}), description: { type: 'answer', sdp } };
}

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}
