import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role, SessionUser } from '@switchboard/call-domain';

/** Metadata key read by `RolesGuard`. */
export const ROLES_KEY = 'switchboard:roles';

/**
 * Limits a controller or handler to the given roles (use with `JwtAuthGuard` then
 * `RolesGuard`); other signed-in users get a 403 problem.
 *
 * @example `@UseGuards(JwtAuthGuard, RolesGuard) @Roles('supervisor')`
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The signed-in user, as put on the request by `JwtAuthGuard`. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): SessionUser => ctx.switchToHttp().getRequest<{ user: SessionUser }>().user,
);

/** The sign-in session of the request's token, as put on the request by `JwtAuthGuard`. */
export const CurrentSessionId = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<{ sessionId: string }>().sessionId,
);
