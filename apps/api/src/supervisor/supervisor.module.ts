import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CallsModule } from '../calls/calls.module';
import { AgentBoardService } from './agent-board.service';
import { AgentStateController } from './agent-state.controller';
import { AgentStateService } from './agent-state.service';
import { AgentsController } from './agents.controller';
import { CallExportService } from './call-export.service';
import { CallHistoryService } from './call-history.service';
import { CallbacksController } from './callbacks.controller';
import { CallsController } from './calls.controller';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueController } from './queue.controller';

/** The supervisor's HTTP API: call history and export, metrics, the queue right now, the agent board and setting an agent Away or Offline, callbacks. */
@Module({
  imports: [AuthModule, CallsModule],
  controllers: [CallsController, MetricsController, QueueController, AgentsController, AgentStateController, CallbacksController],
  providers: [CallHistoryService, CallExportService, MetricsService, AgentBoardService, AgentStateService],
  exports: [CallHistoryService],
})
export class SupervisorModule {}
