import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role, SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import { ROLES_KEY } from './roles.decorator';

/**
 * Enforces `@Roles(...)`; runs after `JwtAuthGuard`. A handler without `@Roles` is open to
 * every signed-in user.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  /** Whether the signed-in user has one of the required roles (403 problem otherwise). */
  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: SessionUser }>().user;
    if (!user) throw new ProblemException('unauthorized', 'Sign in first: a valid access token is required');
    if (!roles.includes(user.role)) {
      throw new ProblemException('forbidden', `This is only for ${roles.join(' or ')} accounts`);
    }
    return true;
  }
}
