import type { IceCandidate, NegotiationId } from '@switchboard/call-domain';

/** What a {@link PeerLink} reports to the session that owns it. */
export interface PeerLinkEvents {
  /** A local ICE candidate was gathered, for the negotiation of the link's local description. */
  candidate(candidate: IceCandidate, negotiationId: NegotiationId | undefined): void;
  /** The far end's audio arrived. */
  remoteStream(stream: MediaStream): void;
  /** The connection's state changed. */
  connectionState(state: RTCPeerConnectionState): void;
}

/**
 * One `RTCPeerConnection` of a call, sending the microphone's tracks. A call session holds
 * one at a time and replaces it with a fresh one when a negotiation needs a new connection
 * (the far end's page reloaded, or this side starts over); a closed link reports nothing more.
 */
export class PeerLink {
  /** The peer connection. */
  readonly pc: RTCPeerConnection;
  /**
   * The negotiation its local description belongs to (set before that description): its
   * candidates are sent for it. Undefined when the other side's offer named none.
   */
  negotiationId: NegotiationId | undefined;
  private readonly failed: () => void;

  /**
   * @param pc A connection made earlier with `configuration` and not used yet (one that gathered
   *   its ICE candidates while the call rang, see `Softphone.prepareAccept`), or none: a new one.
   */
  /**
   * @param sending Whether the microphone goes on the connection now. A caller whose call is
   *   not accepted yet offers a send-and-receive transceiver with no track (nothing can be
   *   sent, even once a provisional answer connected it) and puts the microphone on it with
   *   {@link send} when the call is accepted — a local step, no new negotiation.
   */
  constructor(configuration: RTCConfiguration, microphone: MediaStream, events: PeerLinkEvents, pc = new RTCPeerConnection(configuration), sending = true) {
    this.pc = pc;
    this.failed = () => events.connectionState('failed');
    if (sending) this.send(microphone);
    else for (const track of microphone.getAudioTracks()) pc.addTransceiver(track.kind, { direction: 'sendrecv', streams: [microphone] });
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate?.candidate) return;
      const { sdpMid, sdpMLineIndex, usernameFragment } = candidate;
      events.candidate({ candidate: candidate.candidate, sdpMid, sdpMLineIndex, usernameFragment }, this.negotiationId);
    };
    pc.ontrack = ({ track, streams }) => events.remoteStream(streams[0] ?? new MediaStream([track]));
    // Answered ahead: the far end's track came before this link listened.
    const received = pc.remoteDescription ? pc.getReceivers().map((receiver) => receiver.track) : [];
    if (received.length > 0) events.remoteStream(new MediaStream(received));
    pc.onconnectionstatechange = () => events.connectionState(pc.connectionState);
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') events.connectionState('failed');
    };
  }

  /**
   * Sends `microphone`'s tracks: on the transceivers that have none (made without a track, or
   * set up by an answer made ahead, see answerAhead), else on new ones.
   */
  send(microphone: MediaStream): void {
    for (const track of microphone.getAudioTracks()) {
      if (this.pc.getSenders().some((sender) => sender.track === track)) continue;
      const idle = this.pc.getTransceivers().find((t) => t.receiver.track.kind === track.kind && t.sender.track === null && t.direction === 'sendrecv');
      if (idle) void idle.sender.replaceTrack(track).catch(this.failed);
      else this.pc.addTrack(track, microphone);
    }
  }

  /** Whether this link's connection already answered `offer` locally (see {@link answerAhead}). */
  answeredAhead(offer: RTCSessionDescriptionInit): boolean {
    return answeredOffers.get(this.pc) === offer.sdp && this.pc.signalingState === 'stable';
  }

  /** Whether the far end of an offer is another peer connection than this link's far end. */
  isNewFarEnd(offer: RTCSessionDescriptionInit): boolean {
    const remote = this.pc.remoteDescription;
    return remote !== null && dtlsFingerprint(remote.sdp) !== dtlsFingerprint(offer.sdp ?? '');
  }

  /** Stops reporting and closes the peer connection (the microphone stays open). */
  close(): void {
    const pc = this.pc;
    pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
  }
}

/**
 * The DTLS certificate fingerprint(s) an SDP announces: they name the peer connection that
 * wrote it (a re-offer of the same connection keeps them, a new connection has new ones).
 */
export function dtlsFingerprint(sdp: string): string {
  return [...sdp.matchAll(/^a=fingerprint:(.+)$/gm)].map((match) => match[1].trim()).join(' ');
}

/** The offer each connection answered ahead, by connection. */
const answeredOffers = new WeakMap<RTCPeerConnection, string>();

/**
 * Applies a ringing call's offer to a fresh connection and sets its answer (sending audio,
 * once a track is given), without sending anything or adding the caller's candidates: the
 * connection only gathers its own candidates (STUN address, TURN relay) from its ICE servers,
 * and contacts nobody else. The answer is sent, and the candidates added, when the call is
 * accepted (a {@link PeerLink} on this connection then skips re-applying the same offer).
 * An offer that carries candidates itself is not answered ahead (ICE would check them at once).
 *
 * @returns whether the offer was answered ahead.
 */
export async function answerAhead(pc: RTCPeerConnection, offer: RTCSessionDescriptionInit): Promise<boolean> {
  if (/^a=candidate:/m.test(offer.sdp ?? '') || pc.signalingState !== 'stable' || pc.remoteDescription) return false;
  await pc.setRemoteDescription(offer);
  for (const transceiver of pc.getTransceivers()) transceiver.direction = 'sendrecv';
  await pc.setLocalDescription(await pc.createAnswer());
  answeredOffers.set(pc, offer.sdp ?? '');
  return true;
}
