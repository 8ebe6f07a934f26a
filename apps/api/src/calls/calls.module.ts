import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgentPresence } from './agent-presence.service';
import { CallCompletion } from './call-completion.service';
import { CallLog } from './call-log';
import { CallRecords } from './call-records';
import { CallRouter } from './call-router.service';
import { CallSettingsController } from './call-settings.controller';
import { CallMediaHolders } from './call-media-holders';
import { CallQualityRecorder } from './call-quality.service';
import { CallGateway } from './call.gateway';
import { IceCredentials } from './ice-credentials';
import { CallResumption } from './call-resumption.service';
import { DeadlineWorker } from './deadline-worker.service';
import { NodeLiveness } from './node-liveness';
import { ApiNodes } from './api-nodes';
import { NodeDrain } from './node-drain.service';
import { Deadlines } from './deadlines';
import { RetentionService } from './retention.service';
import { HistoryFiling } from './history-filing.service';
import { PresenceKeeper } from './presence-keeper.service';
import { QueueFeed } from './queue-feed.service';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms } from './socket-rooms';
import { CallReactions } from './call-reactions';
import { CallLedger } from './ledger/call-ledger';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { QueuePositions } from './queue-positions';
import { SignalHolds } from './signal-holds';
import { AnswerHolds } from './answer-holds';
import { CallbackCalls } from './callback-calls.service';
import { CallbackRequestsService } from './callback-requests.service';

/**
 * The call server, read as gateway → ledger → reactions: the socket gateway validates and
 * calls one service (routing, completion, presence, the signaling relay), which decides from
 * what it reads and changes calls and presence only through the {@link CallLedger}, one
 * transaction per move; {@link CallReactions} then tell the sockets, route, and update the
 * queue feed from the events the ledger delivers after commit ({@link LedgerOutbox}). All
 * state lives in the database, so any node, or a restarted one, carries on.
 */
@Module({
  imports: [AuthModule],
  controllers: [CallSettingsController],
  providers: [
    SocketRooms,
    LedgerOutbox,
    CallLedger,
    CallRecords,
    QueueFeed,
    QueuePositions,
    Deadlines,
    AgentPresence,
    SignalHolds,
    AnswerHolds,
    SignalRelay,
    CallRouter,
    CallCompletion,
    CallbackRequestsService,
    CallbackCalls,
    IceCredentials,
    CallQualityRecorder,
    CallMediaHolders,
    CallResumption,
    PresenceKeeper,
    DeadlineWorker,
    RetentionService,
    HistoryFiling,
    ApiNodes,
    NodeLiveness,
    CallReactions,
    CallGateway,
    NodeDrain,
    CallLog,
  ],
  exports: [CallbackRequestsService, AgentPresence, CallRecords, QueueFeed, CallLedger, LedgerOutbox, SocketRooms, NodeDrain, HistoryFiling],
})
export class CallsModule {}
