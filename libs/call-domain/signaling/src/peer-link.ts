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

  constructor(configuration: RTCConfiguration, microphone: MediaStream, events: PeerLinkEvents) {
    const pc = new RTCPeerConnection(configuration);
    this.pc = pc;
    for (const track of microphone.getAudioTracks()) pc.addTrack(track, microphone);
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate?.candidate) return;
      const { sdpMid, sdpMLineIndex, usernameFragment } = candidate;
      events.candidate({ candidate: candidate.candidate, sdpMid, sdpMLineIndex, usernameFragment }, this.negotiationId);
    };
    pc.ontrack = ({ track, streams }) => events.remoteStream(streams[0] ?? new MediaStream([track]));
    pc.onconnectionstatechange = () => events.connectionState(pc.connectionState);
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') events.connectionState('failed');
    };
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
