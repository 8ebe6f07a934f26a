import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgentPresence } from './agent-presence.service';
import { CallCompletion } from './call-completion.service';
import { CallRecords } from './call-records';
import { CallRouter } from './call-router.service';
import { CallSettingsController } from './call-settings.controller';
import { CallGateway } from './call.gateway';
import { DeadlineWorker } from './deadline-worker.service';
import { Deadlines } from './deadlines';
import { PresenceKeeper } from './presence-keeper.service';
import { QueueFeed } from './queue-feed.service';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms } from './socket-rooms';

/**
 * The call server: the socket gateway, routing and the queue, presence, signaling relay,
 * wrap-up, callbacks, the supervisors' queue feed and the deadline worker. All state lives in
 * the database (migration 0002), so any node, or a restarted one, carries on.
 */
@Module({
  imports: [AuthModule],
  controllers: [CallSettingsController],
  providers: [
    SocketRooms,
    CallRecords,
    QueueFeed,
    Deadlines,
    AgentPresence,
    SignalRelay,
    CallRouter,
    CallCompletion,
    PresenceKeeper,
    DeadlineWorker,
    CallGateway,
  ],
  exports: [AgentPresence, CallRecords, QueueFeed],
})
export class CallsModule {}
