import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SupervisorModule } from '../supervisor/supervisor.module';
import { DeskController } from './desk.controller';
import { DeskQueries } from './desk-queries.service';

/** The agent desk's HTTP reads: the caller's context, the agent's own calls and figures. */
@Module({
  imports: [AuthModule, SupervisorModule],
  controllers: [DeskController],
  providers: [DeskQueries],
})
export class DeskModule {}
