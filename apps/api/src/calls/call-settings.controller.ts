import { Controller, Get, UseGuards } from '@nestjs/common';
import type { CallSettingsView } from '@switchboard/call-domain';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/** `/api/call-settings`: the timers and dispositions the portal shows, for any signed-in user. */
@Controller('api/call-settings')
@UseGuards(JwtAuthGuard)
export class CallSettingsController {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  /** `GET /api/call-settings`. */
  @Get()
  get(): CallSettingsView {
    const { ringTimeoutSeconds, maxWaitSeconds, wrapUpSeconds, wrapUpMaxSeconds, dispositionRequired, dispositions } = this.config.calls;
    return { ringTimeoutSeconds, maxWaitSeconds, wrapUpSeconds, wrapUpMaxSeconds, dispositionRequired, dispositions };
  }
}
