import { Controller, Get, UseGuards } from '@nestjs/common';
import type { QueueReport } from '@switchboard/call-domain';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { QueueFeed } from '../calls/queue-feed.service';

/** `GET /api/queue` for supervisors: the live board's first read (the socket's `queueChanged` follows). */
@Controller('api/queue')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class QueueController {
  constructor(private readonly queueFeed: QueueFeed) {}

  /** Calls waiting, the longest current wait and calls in progress, with the figures' definitions. */
  @Get()
  current(): Promise<QueueReport> {
    return this.queueFeed.report();
  }
}
