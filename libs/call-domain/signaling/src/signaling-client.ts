import { DestroyRef, Injectable, type Signal, inject, signal } from '@angular/core';
import type {
  CallId,
  CallRef,
  MediaReport,
  QualityReport,
  SelectableAgentState,
  ServerToClientEvents,
  SignalMessage,
  WrapUp,
} from '@switchboard/call-domain';
import { BehaviorSubject, EMPTY, Observable, Subject, distinctUntilChanged, filter, firstValueFrom, map, merge, share, switchMap } from 'rxjs';
import { type CallInbox, CallInboxes } from './call-inbox';
import type { AwaitedDescription } from './call-signals';
import { SIGNALING_AUTH } from './signaling-auth';
import { SignalingError } from './signaling-errors';
import {
  type AckData,
  type EventPayload,
  type RequestPayload,
  SIGNALING_OPTIONS,
  SIGNALING_SOCKET_FACTORY,
  type SignalingRequest,
  type SignalingSocket,
} from './signaling-socket';

/** How many times in all a request that must not be lost is sent (see {@link SignalingClient.completeWrapUp}). */
export const RESEND_TRIES = 3;

/** Where the socket stands: socket.io reconnects by itself while `connecting`. */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/**
 * The portal's call socket: typed streams of every server event, one Promise per request
 * (resolved with the ack's data, rejected with a {@link SignalingError}), and the per-call
 * {@link CallInbox}es that keep early offers and candidates until the call is accepted.
 *
 * Call `connect()` after sign-in and `disconnect()` on sign-out; it disconnects itself when
 * its injector is destroyed. Streams stay valid across reconnections and new sign-ins.
 */
@Injectable({ providedIn: 'root' })
export class SignalingClient {
  private readonly token = inject(SIGNALING_AUTH);
  private readonly createSocket = inject(SIGNALING_SOCKET_FACTORY);
  private readonly options = inject(SIGNALING_OPTIONS);
  private readonly socket$ = new BehaviorSubject<SignalingSocket | null>(null);
  private readonly state = new BehaviorSubject<ConnectionState>('disconnected');
  private readonly isConnected = signal(false);

  /** Where the socket stands; replays the current state. */
  readonly connectionState$: Observable<ConnectionState> = this.state.pipe(distinctUntilChanged());
  /** Whether the socket is connected right now. */
  readonly connected: Signal<boolean> = this.isConnected.asReadonly();
  private readonly sessionRefused = new Subject<void>();
  /**
   * Emits when the server refuses this session's socket: the handshake was refused as
   * `unauthorized`, or the server closed the socket (it does so when the token expires).
   * The portal then signs the user out with the expiry message.
   */
  readonly sessionRefused$: Observable<void> = this.sessionRefused.asObservable();

  /** Caller: place in line changed. */
  readonly queueUpdated$ = this.event$('queueUpdated');
  /** Agent: a call is ringing for them. */
  readonly callOffered$ = this.event$('callOffered');
  /** Agent: an offer was taken back. */
  readonly offerWithdrawn$ = this.event$('offerWithdrawn');
  /** Caller: an agent declined; the call waits for the next one. */
  readonly callDeclined$ = this.event$('callDeclined');
  /** Caller: the call stopped ringing at an agent without an accept; a provisional answer of theirs is void. */
  readonly ringEnded$ = this.event$('ringEnded');
  /**
   * The party that offers: the other party accepted — for a student's call, an agent
   * (`callAccepted`); for an agent's callback, the student (`callbackAccepted`, in `agent`).
   */
  readonly callAccepted$ = merge(
    this.event$('callAccepted'),
    this.event$('callbackAccepted').pipe(map(({ callId, student }) => ({ callId, agent: student }))),
  ).pipe(share());
  /** Student: an agent calls them back (Accept with `Softphone.acceptCallback`, or `declineCallback`). */
  readonly callbackRinging$ = this.event$('callbackRinging');
  /** Agents and supervisors: a callback request changed. */
  readonly callbackChanged$ = this.event$('callbackChanged');
  /** Caller: the agent's page reloaded and took the call up again. */
  readonly callResumed$ = this.event$('callResumed');
  /** Both: a call is over. */
  readonly callEnded$ = this.event$('callEnded');
  /** Agent and supervisors: an agent's state changed. */
  readonly agentStatusChanged$ = this.event$('agentStatusChanged');
  /** Supervisors and agents: calls waiting or in progress changed (also sent once on each connection). */
  readonly queueChanged$ = this.event$('queueChanged');
  /** Supervisors: a call in progress has a new quality sample. */
  readonly callQualityChanged$ = this.event$('callQualityChanged');
  /** Every relayed offer, answer and candidate, tagged with its kind. */
  readonly signals$: Observable<SignalMessage> = merge(
    this.event$('offerRelayed').pipe(map((m): SignalMessage => ({ kind: 'offer', ...m }))),
    this.event$('answerRelayed').pipe(map((m): SignalMessage => ({ kind: 'answer', ...m }))),
    this.event$('candidateRelayed').pipe(map((m): SignalMessage => ({ kind: 'candidate', ...m }))),
  ).pipe(share());

  private readonly inboxes = new CallInboxes(
    this.signals$,
    merge(this.callOffered$, this.callbackRinging$).pipe(map((offer) => offer.callId)),
    merge(this.offerWithdrawn$, this.callEnded$).pipe(map((ref) => ref.callId)),
  );

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.disconnect();
      this.inboxes.dispose();
    });
  }

  /** Opens the socket with the current token (no-op if already open). */
  connect(): void {
    if (this.socket$.value) return;
    const socket = this.createSocket(this.token);
    const setState = (state: ConnectionState): void => {
      this.state.next(state);
      this.isConnected.set(state === 'connected');
    };
    socket.on('connect', () => setState('connected'));
    socket.on('disconnect', (reason?: string) => {
      setState(socket.active ? 'connecting' : 'disconnected');
      if (reason === 'io server disconnect') this.sessionRefused.next();
    });
    socket.on('connect_error', (error) => {
      setState(socket.active ? 'connecting' : 'disconnected');
      if (error.message === 'unauthorized') this.sessionRefused.next();
    });
    this.socket$.next(socket);
    setState('connecting');
    socket.connect();
  }

  /** Closes the socket and forgets every held call (sign-out). */
  disconnect(): void {
    const socket = this.socket$.value;
    if (!socket) return;
    this.socket$.next(null);
    socket.disconnect();
    socket.removeAllListeners();
    this.inboxes.closeAll();
    this.state.next('disconnected');
    this.isConnected.set(false);
  }

  /**
   * The inbox of `callId`: what has arrived for it so far, held until `accept()`. Agents'
   * inboxes open when the call is offered; a caller opens its own (`awaits: 'answer'`).
   * Null when the call was already withdrawn or ended here.
   */
  inbox(callId: CallId, awaits: AwaitedDescription): CallInbox | null {
    return this.inboxes.open(callId, awaits);
  }

  /** Student: place a call; resolves with its id and place in line. */
  requestCall(): Promise<AckData<'requestCall'>> {
    return this.request('requestCall', {});
  }

  /** Student: leave the line or stop the ringing. */
  cancelCall(ref: CallRef): Promise<void> {
    return this.request('cancelCall', ref);
  }

  /**
   * Agent: take the offered call; resolves with the caller. With `answer` (the answer to the
   * call's offer, made while it rang), the server relays it too (`answerRelayed: true`).
   */
  acceptCall(accept: RequestPayload<'acceptCall'>): Promise<AckData<'acceptCall'>> {
    return this.request('acceptCall', accept);
  }

  /** Agent: refuse the offered call; its held messages are dropped. */
  declineCall(ref: CallRef): Promise<void> {
    this.inboxes.close(ref.callId);
    return this.request('declineCall', ref);
  }

  /** Agent who took the callback request: call the student back; resolves with the call (ringing at the student). */
  placeCallback(callbackId: string): Promise<AckData<'placeCallback'>> {
    return this.request('placeCallback', { callbackId });
  }

  /** Student: answer the callback ringing at them. */
  acceptCallback(ref: CallRef): Promise<AckData<'acceptCallback'>> {
    return this.request('acceptCallback', ref);
  }

  /** Student: decline the callback ringing at them; its held messages are dropped. */
  declineCallback(ref: CallRef): Promise<void> {
    this.inboxes.close(ref.callId);
    return this.request('declineCallback', ref);
  }

  /** Either party: end a call in progress. */
  hangUp(ref: CallRef): Promise<void> {
    return this.request('hangUp', ref);
  }

  /** Either party: media connected or failed in this browser. */
  reportMedia(report: MediaReport): Promise<void> {
    return this.request('reportMedia', report);
  }

  /** Either party: the call's latest quality sample (every 2 s while connected). */
  reportQuality(report: QualityReport): Promise<void> {
    return this.request('reportQuality', report);
  }

  /** Caller: send the SDP offer. */
  sendOffer(message: RequestPayload<'sendOffer'>): Promise<void> {
    return this.request('sendOffer', message);
  }

  /** Agent: send the SDP answer. */
  sendAnswer(message: RequestPayload<'sendAnswer'>): Promise<void> {
    return this.request('sendAnswer', message);
  }

  /** Either party: send one trickled ICE candidate. */
  sendCandidate(message: RequestPayload<'sendCandidate'>): Promise<void> {
    return this.request('sendCandidate', message);
  }

  /** Agent: pick Available or Away; resolves with the new status. */
  setAvailability(state: SelectableAgentState): Promise<AckData<'setAvailability'>> {
    return this.request('setAvailability', { state });
  }

  /**
   * Agent: save wrap-up and return to Available. The agent typed it, so it is not lost to a
   * dropped connection: when no answer came (the connection dropped with the request in hand,
   * e.g. the API node died, or the ack timed out), it is sent again once the socket is
   * connected, up to {@link RESEND_TRIES} times in all. The server takes a repeat of the same
   * wrap-up as done. Not after sign-out.
   */
  completeWrapUp(wrapUp: WrapUp): Promise<void> {
    return this.requestUntilAnswered('completeWrapUp', wrapUp);
  }

  /** Agent: 30 s more wrap-up for the call (up to the configured maximum); resolves with the new status. */
  extendWrapUp(callId: CallId): Promise<AckData<'extendWrapUp'>> {
    return this.request('extendWrapUp', { callId });
  }

  /** Student: after a call ended unanswered, ask to be called back (once per call). */
  requestCallback(request: RequestPayload<'requestCallback'>): Promise<AckData<'requestCallback'>> {
    return this.request('requestCallback', request);
  }

  /** {@link request}, sent again after a reconnection when it got no answer (for idempotent requests only). */
  private async requestUntilAnswered<E extends SignalingRequest>(event: E, payload: RequestPayload<E>): Promise<AckData<E>> {
    for (let attempt = 1; ; attempt++) {
      const socket = this.socket$.value;
      try {
        return await this.request(event, payload);
      } catch (error) {
        // Refused by the server, tried enough, or signed out: the caller hears of it.
        if (!(error instanceof SignalingError) || !error.timedOut || attempt >= RESEND_TRIES || !socket) throw error;
        const state = await firstValueFrom(this.state.pipe(filter((s) => s !== 'connecting')));
        if (state === 'disconnected' || this.socket$.value !== socket) throw error;
      }
    }
  }

  /** Agent whose page reloaded mid-call: takes the call up again on this socket; resolves with the caller. */
  resumeCall(ref: CallRef): Promise<AckData<'resumeCall'>> {
    return this.request('resumeCall', ref);
  }

  /** Student or agent: the answered call this user is in, as the server knows it (null for none), and whether another tab holds it. */
  async getLiveCall(): Promise<AckData<'getLiveCall'>> {
    try {
      return await this.request('getLiveCall', { callbacks: true });
    } catch (error) {
      // A server from before callbacks could be taken up (a node not upgraded yet) refuses the field: ask as before.
      if (error instanceof SignalingError && error.code === 'bad_request') return this.request('getLiveCall', {});
      throw error;
    }
  }

  /** Either party of a call not over: its ICE servers, with TURN credentials made for this call. */
  getIceServers(ref: CallRef): Promise<AckData<'getIceServers'>> {
    return this.request('getIceServers', ref);
  }

  private async request<E extends SignalingRequest>(event: E, payload: RequestPayload<E>): Promise<AckData<E>> {
    const socket = this.socket$.value;
    if (!socket) throw new SignalingError({ code: 'invalid_state', message: 'Not connected to the call service.' });
    // socket.io types `timeout().emitWithAck` loosely (the ack's type is lost), so the
    // protocol's types are restored here, in the one place every request goes through.
    const emitter = socket.timeout(this.options.ackTimeoutMs) as unknown as {
      emitWithAck(event: E, payload: RequestPayload<E>): Promise<{ ok: true; data: AckData<E> } | { ok: false; error: SignalingError }>;
    };
    let ack;
    try {
      ack = await emitter.emitWithAck(event, payload);
    } catch {
      throw new SignalingError({ code: 'internal', message: 'The call service did not answer in time.' }, true);
    }
    if (!ack.ok) throw new SignalingError(ack.error);
    return ack.data;
  }

  private event$<E extends keyof ServerToClientEvents>(event: E): Observable<EventPayload<E>> {
    return this.socket$.pipe(
      switchMap((socket) =>
        socket
          ? new Observable<EventPayload<E>>((subscriber) => {
              // socket.io's listener type cannot be resolved for a generic event name.
              const listener = ((payload: EventPayload<E>) => subscriber.next(payload)) as never;
              socket.on(event, listener);
              return () => socket.off(event, listener);
            })
          : EMPTY,
      ),
      share(),
    );
  }
}
