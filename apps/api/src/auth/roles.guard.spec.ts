import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role, SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import { Roles } from './roles.decorator';
import { RolesGuard } from './roles.guard';

class Handlers {
  @Roles('supervisor')
  supervisorOnly(): string {
    return 'supervisorOnly';
  }

  @Roles('agent', 'supervisor')
  staff(): string {
    return 'staff';
  }

  anyone(): string {
    return 'anyone';
  }
}

function context(handler: keyof Handlers, user?: SessionUser): ExecutionContext {
  return {
    getHandler: () => Handlers.prototype[handler],
    getClass: () => Handlers,
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

const as = (role: Role): SessionUser => ({ id: `id-${role}`, username: role, role, displayName: role });

function refusal(run: () => unknown): ProblemException | undefined {
  try {
    run();
  } catch (err) {
    return err as ProblemException;
  }
  return undefined;
}

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());

  it('lets a user with a required role through', () => {
    expect(guard.canActivate(context('supervisorOnly', as('supervisor')))).toBeTrue();
    expect(guard.canActivate(context('staff', as('agent')))).toBeTrue();
  });

  it('answers 403 forbidden for another role', () => {
    const err = refusal(() => guard.canActivate(context('supervisorOnly', as('agent'))));
    expect(err).toBeInstanceOf(ProblemException);
    expect(err?.problem).toEqual(jasmine.objectContaining({ status: 403, code: 'forbidden' }));
    expect(refusal(() => guard.canActivate(context('staff', as('student'))))?.getStatus()).toBe(403);
  });

  it('answers 401 when no user was authenticated', () => {
    expect(refusal(() => guard.canActivate(context('supervisorOnly')))?.getStatus()).toBe(401);
  });

  it('lets any signed-in user reach a handler without @Roles', () => {
    expect(guard.canActivate(context('anyone', as('student')))).toBeTrue();
  });
});
