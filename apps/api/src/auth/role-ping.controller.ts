import { Controller, Get, UseGuards } from '@nestjs/common';
import type { Role, SessionUser } from '@switchboard/call-domain';
import { JwtAuthGuard } from './jwt-auth.guard';
import { CurrentUser, Roles } from './roles.decorator';
import { RolesGuard } from './roles.guard';

/** What a role's ping answers. */
export interface RolePing {
  role: Role;
  user: SessionUser;
}

/**
 * One protected endpoint per role (`GET /api/{student,agent,supervisor}/ping`): lets the
 * portal and the tests check that a token opens its own role's area and no other.
 */
@Controller('api')
@UseGuards(JwtAuthGuard, RolesGuard)
export class RolePingController {
  /** Students only. */
  @Get('student/ping')
  @Roles('student')
  student(@CurrentUser() user: SessionUser): RolePing {
    return { role: 'student', user };
  }

  /** Agents only. */
  @Get('agent/ping')
  @Roles('agent')
  agent(@CurrentUser() user: SessionUser): RolePing {
    return { role: 'agent', user };
  }

  /** Supervisors only. */
  @Get('supervisor/ping')
  @Roles('supervisor')
  supervisor(@CurrentUser() user: SessionUser): RolePing {
    return { role: 'supervisor', user };
  }
}
