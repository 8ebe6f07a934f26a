import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgentCallbacksController } from './agent-callbacks.controller';
import { CallsModule } from '../calls/calls.module';
import { SupervisorModule } from '../supervisor/supervisor.module';
import { DeskController } from './desk.controller';
import { DeskQueries } from './desk-queries.service';

/** The agent desk's HTTP reads: the caller's context, the agent's own calls and figures. */
@Module({
  imports: [AuthModule, CallsModule, SupervisorModule],
  controllers: [DeskController, AgentCallbacksController],
  providers: [DeskQueries],
})
export class DeskModule {}
