import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { AcceptedCall, Ack, AgentStatus, CallbackCall, CallOffer, IceServers, LiveCall, QueuePosition } from '@switchboard/call-domain';
import {
  acceptCallSchema,
  answerMessageSchema,
  callbackRequestSchema,
  callRefSchema,
  candidateMessageSchema,
  liveCallQuerySchema,
  mediaReportSchema,
  offerMessageSchema,
  qualityReportSchema,
  placeCallbackSchema,
  requestCallSchema,
  setAvailabilitySchema,
  wrapUpSchema,
} from '@switchboard/call-domain/schemas';
import type { AppServer, AppSocket } from '../realtime/app-socket';
import { CallCompletion } from './call-completion.service';
import { CallQualityRecorder } from './call-quality.service';
import { CallbackCalls } from './callback-calls.service';
import { CallRouter } from './call-router.service';
import { CallResumption } from './call-resumption.service';
import { IceCredentials } from './ice-credentials';
import { PresenceKeeper } from './presence-keeper.service';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms } from './socket-rooms';
import { ackFor } from './socket-acks';

/**
 * The call events of the socket protocol (`ClientToServerEvents`): each handler checks the
 * role, validates the payload and calls one service method; every one answers an `Ack`.
 */
@WebSocketGateway()
export class CallGateway implements OnGatewayInit<AppServer>, OnGatewayConnection<AppSocket>, OnGatewayDisconnect<AppSocket> {
  private readonly logger = new Logger('CallGateway');
  private readonly disconnecting = new Set<Promise<void>>();

  constructor(
    private readonly rooms: SocketRooms,
    private readonly keeper: PresenceKeeper,
    private readonly router: CallRouter,
    private readonly completion: CallCompletion,
    private readonly relay: SignalRelay,
    private readonly ice: IceCredentials,
    private readonly resumption: CallResumption,
    private readonly quality: CallQualityRecorder,
    private readonly callbacks: CallbackCalls,
  ) {}

  /** Hands the server to the services. */
  afterInit(server: AppServer): void {
    this.rooms.attach(server);
  }

  /** Joins the socket to its rooms and restores its user's presence. */
  handleConnection(socket: AppSocket): void {
    this.keeper.track(this.keeper.socketConnected(socket)).catch((err: unknown) => this.logger.error({ msg: 'connect handling failed', error: String(err) }));
  }

  /** Starts the user's grace period if this was their last socket. */
  handleDisconnect(socket: AppSocket): void {
    const handling = this.keeper
      .track(this.keeper.socketDisconnected(socket))
      .catch((err: unknown) => this.logger.error({ msg: 'disconnect handling failed', error: String(err) }));
    this.disconnecting.add(handling);
    void handling.finally(() => this.disconnecting.delete(handling));
  }

  /** Resolves once every disconnection seen so far is handled (a draining node waits for it). */
  async disconnectionsHandled(): Promise<void> {
    while (this.disconnecting.size > 0) await Promise.all([...this.disconnecting]);
  }

  /** Student: `requestCall` → their place in line, or `no_agents_available`. */
  @SubscribeMessage('requestCall')
  requestCall(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<QueuePosition>> {
    return ackFor(socket, 'requestCall', ['student'], requestCallSchema, body, (user) => this.router.requestCall(user, socket));
  }

  /** Student: `cancelCall`; also the agent of a callback still ringing (they give up). */
  @SubscribeMessage('cancelCall')
  cancelCall(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'cancelCall', ['student', 'agent'], callRefSchema, body, (user, { callId }) => this.completion.cancel(user, callId));
  }

  /** Agent: `acceptCall` (optionally with its answer, then relayed as `sendAnswer`'s) → the caller; `conflict` for the loser of a race. */
  @SubscribeMessage('acceptCall')
  acceptCall(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<AcceptedCall>> {
    return ackFor(socket, 'acceptCall', ['agent'], acceptCallSchema, body, (user, { callId, answer }) => this.router.acceptCall(user, socket, callId, answer));
  }

  /** Agent: `declineCall`. */
  @SubscribeMessage('declineCall')
  declineCall(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'declineCall', ['agent'], callRefSchema, body, (user, { callId }) => this.router.declineCall(user, callId));
  }

  /** Either party: `hangUp`. */
  @SubscribeMessage('hangUp')
  hangUp(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'hangUp', ['student', 'agent'], callRefSchema, body, (user, { callId }) => this.completion.hangUp(user, callId));
  }

  /** Either party: `reportMedia`. */
  @SubscribeMessage('reportMedia')
  reportMedia(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'reportMedia', ['student', 'agent'], mediaReportSchema, body, (user, report) => this.completion.reportMedia(user, report, socket));
  }

  /** Caller (the agent on a callback): `sendOffer`. */
  @SubscribeMessage('sendOffer')
  sendOffer(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'sendOffer', ['student', 'agent'], offerMessageSchema, body, (_user, message) => this.relay.relayOffer(socket, message));
  }

  /** Agent (the student on a callback): `sendAnswer`. */
  @SubscribeMessage('sendAnswer')
  sendAnswer(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'sendAnswer', ['agent', 'student'], answerMessageSchema, body, (_user, message) => this.relay.relayAnswer(socket, message));
  }

  /** Either party: `sendCandidate`. */
  @SubscribeMessage('sendCandidate')
  sendCandidate(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'sendCandidate', ['student', 'agent'], candidateMessageSchema, body, (_user, message) => this.relay.relayCandidate(socket, message));
  }

  /** Agent: `setAvailability` → their new status. */
  @SubscribeMessage('setAvailability')
  setAvailability(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<AgentStatus>> {
    return ackFor(socket, 'setAvailability', ['agent'], setAvailabilitySchema, body, (user, { state }) => this.keeper.setAvailability(user, state));
  }

  /** Agent: `completeWrapUp`. */
  @SubscribeMessage('completeWrapUp')
  completeWrapUp(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'completeWrapUp', ['agent'], wrapUpSchema, body, (user, wrapUp) => this.completion.completeWrapUp(user, wrapUp));
  }

  /** Agent: `extendWrapUp` → their new status (wrap-up ends 30 s later, up to the maximum). */
  @SubscribeMessage('extendWrapUp')
  extendWrapUp(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<AgentStatus>> {
    return ackFor(socket, 'extendWrapUp', ['agent'], callRefSchema, body, (user, ref) => this.completion.extendWrapUp(user, ref));
  }

  /** Caller: `requestCallback` → the request's id. */
  @SubscribeMessage('requestCallback')
  requestCallback(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<{ callbackId: string }>> {
    return ackFor(socket, 'requestCallback', ['student'], callbackRequestSchema, body, (user, request) => this.completion.requestCallback(user, request));
  }

  /** Either party whose page reloaded mid-call: `resumeCall` → the caller; `conflict` when another tab holds the call. */
  @SubscribeMessage('resumeCall')
  resumeCall(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<Pick<CallOffer, 'callId' | 'caller'>>> {
    return ackFor(socket, 'resumeCall', ['agent', 'student'], callRefSchema, body, (user, { callId }) => this.resumption.resume(user, socket, callId));
  }

  /** Student or agent: `getLiveCall` → the answered call they are in (and whether another tab holds it), or null. */
  @SubscribeMessage('getLiveCall')
  getLiveCall(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<LiveCall | null>> {
    return ackFor(socket, 'getLiveCall', ['student', 'agent'], liveCallQuerySchema, body, (user, query) => this.resumption.liveCall(user, socket, query));
  }

  /** Either party of a call not over: `getIceServers` → STUN/TURN servers with fresh credentials. */
  @SubscribeMessage('getIceServers')
  getIceServers(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<IceServers>> {
    return ackFor(socket, 'getIceServers', ['student', 'agent'], callRefSchema, body, (user, { callId }) => this.ice.forCall(user, callId));
  }

  /** Either party of a call in progress: `reportQuality` (a sample every 2 s). */
  @SubscribeMessage('reportQuality')
  reportQuality(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'reportQuality', ['student', 'agent'], qualityReportSchema, body, (user, report) => this.quality.record(user, report));
  }

  /** Agent who took the callback request: `placeCallback` → the outbound call, ringing at the student. */
  @SubscribeMessage('placeCallback')
  placeCallback(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<CallbackCall>> {
    return ackFor(socket, 'placeCallback', ['agent'], placeCallbackSchema, body, (user, { callbackId }) => this.callbacks.place(user, socket, callbackId));
  }

  /** Student: `acceptCallback` → the callback; this socket answers its media. */
  @SubscribeMessage('acceptCallback')
  acceptCallback(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack<CallbackCall>> {
    return ackFor(socket, 'acceptCallback', ['student'], callRefSchema, body, (user, { callId }) => this.callbacks.accept(user, socket, callId));
  }

  /** Student: `declineCallback`. */
  @SubscribeMessage('declineCallback')
  declineCallback(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): Promise<Ack> {
    return ackFor(socket, 'declineCallback', ['student'], callRefSchema, body, (user, { callId }) => this.callbacks.decline(user, callId));
  }
}
