import { Injectable, inject } from '@angular/core';
import type { CallbackCall, CallId, CallOffer, CallRef, QueuePosition } from '@switchboard/call-domain';
import type { CallInbox } from './call-inbox';
import { CallSession } from './call-session';
import type { CallPeer, CallRole, OfferTiming } from './call-session-init';
import { MICROPHONE, openMicrophone } from './microphone';
import { SignalingClient } from './signaling-client';
import { SignalingError } from './signaling-errors';
import { SIGNALING_OPTIONS } from './signaling-socket';

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
    return this.answerCall(call.callId, 'caller' in call ? call.caller : null, () => this.signaling.acceptCall({ callId: call.callId }));
  }

  /**
   * Student: accepts the callback ringing at them (`callbackRinging$`), as an agent accepts a
   * call: the agent's offer and candidates, held by this page's inbox since it rang, are
   * applied once the server confirmed, and answered. Rejects like {@link acceptCall}.
   */
  async acceptCallback(call: CallbackCall): Promise<CallSession> {
    return this.answerCall(call.callId, call.agent, () => this.signaling.acceptCallback({ callId: call.callId }));
  }

  /** The answering side: microphone and ICE servers, the session, `accept` to the server, then the held messages. */
  private async answerCall(callId: CallId, peer: CallPeer | null, accept: () => Promise<unknown>): Promise<CallSession> {
    const withdrawn = (): SignalingError =>
      new SignalingError({ code: 'invalid_state', message: 'This call is no longer offered to you.' });
    if (!this.signaling.inbox(callId, 'offer')) throw withdrawn();
    const { microphone, rtcConfiguration } = await this.prepare(callId);
    const inbox = this.signaling.inbox(callId, 'offer');
    if (!inbox) {
      stopTracks(microphone);
      throw withdrawn();
    }
    const session = this.createSession('agent', microphone, inbox, rtcConfiguration, peer, null);
    try {
      await accept();
    } catch (error) {
      session.close();
      throw error;
    }
    await session.start();
    return session;
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
   * Opens the microphone and fetches the call's ICE servers at the same time; rejects with
   * the microphone's error first (a refused microphone must say so), releasing what opened.
   */
  private async prepare(callId: CallId): Promise<{ microphone: MediaStream; rtcConfiguration: RTCConfiguration }> {
    const [microphone, rtcConfiguration] = await Promise.allSettled([openMicrophone(this.microphone), this.rtcConfiguration(callId)]);
    if (microphone.status === 'rejected') throw microphone.reason;
    if (rtcConfiguration.status === 'rejected') {
      stopTracks(microphone.value);
      throw rtcConfiguration.reason;
    }
    return { microphone: microphone.value, rtcConfiguration: rtcConfiguration.value };
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
      refreshRtcConfiguration: () => this.rtcConfiguration(callId),
      mediaTimeoutMs: this.options.mediaTimeoutMs,
    });
  }
}

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}
