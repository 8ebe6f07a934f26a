import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgentPresence } from './agent-presence.service';
import { CallCompletion } from './call-completion.service';
import { CallRecords } from './call-records';
import { CallRouter } from './call-router.service';
import { CALL_SETTINGS, loadCallSettings } from './call-settings';
import { CallSettingsController } from './call-settings.controller';
import { CallGateway } from './call.gateway';
import { DeadlineWorker } from './deadline-worker.service';
import { Deadlines } from './deadlines';
import { PresenceKeeper } from './presence-keeper.service';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms } from './socket-rooms';

/**
 * The call server: the socket gateway, routing and the queue, presence, signaling relay,
 * wrap-up, callbacks and the deadline worker. All state lives in the database (migration
 * 0002), so any node, or a restarted one, carries on.
 */
@Module({
  imports: [AuthModule],
  controllers: [CallSettingsController],
  providers: [
    { provide: CALL_SETTINGS, useFactory: () => loadCallSettings(process.env) },
    SocketRooms,
    CallRecords,
    Deadlines,
    AgentPresence,
    SignalRelay,
    CallRouter,
    CallCompletion,
    PresenceKeeper,
    DeadlineWorker,
    CallGateway,
  ],
  exports: [AgentPresence, CallRecords, CALL_SETTINGS],
})
export class CallsModule {}
