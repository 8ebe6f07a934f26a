import { Controller, Get, UseGuards } from '@nestjs/common';
import type { CallSettingsView } from '@switchboard/call-domain';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { InjectCallSettings, type CallSettings } from './call-settings';

/** `/api/call-settings`: the timers and dispositions the portal shows, for any signed-in user. */
@Controller('api/call-settings')
@UseGuards(JwtAuthGuard)
export class CallSettingsController {
  constructor(@InjectCallSettings() private readonly settings: CallSettings) {}

  /** `GET /api/call-settings`. */
  @Get()
  get(): CallSettingsView {
    const { ringTimeoutSeconds, maxWaitSeconds, wrapUpSeconds, dispositions } = this.settings;
    return { ringTimeoutSeconds, maxWaitSeconds, wrapUpSeconds, dispositions };
  }
}
