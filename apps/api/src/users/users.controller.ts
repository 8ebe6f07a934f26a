import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import type { CreateUserRequest, SessionUser } from '@switchboard/call-domain';
import { createUserRequestSchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { UsersService } from './users.service';

/** `/api/users`: supervisors list and create accounts, and sign users out everywhere. */
@Controller('api/users')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** `GET /api/users`: every account (never their password hashes). */
  @Get()
  list(): Promise<SessionUser[]> {
    return this.users.list();
  }

  /** `POST /api/users`: 201 with the new account; 400 on bad input; 409 if the username is taken. */
  @Post()
  @HttpCode(201)
  create(@Body(new ZodValidationPipe(createUserRequestSchema)) body: CreateUserRequest): Promise<SessionUser> {
    return this.users.create(body);
  }

  /**
   * `POST /api/users/:id/sign-out`: 204; ends every sign-in session of the user on every node
   * (their tokens are refused from then on, their sockets closed); 404 for an unknown user.
   */
  @Post(':id/sign-out')
  @HttpCode(204)
  signOutEverywhere(@Param('id') id: string): Promise<void> {
    return this.users.signOutEverywhere(id);
  }
}
