import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { LoginRequest, LoginResponse, SessionUser } from '@switchboard/call-domain';
import { loginRequestSchema } from '@switchboard/call-domain/schemas';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { LoginThrottlerGuard } from './login-throttler.guard';
import { CurrentSessionId, CurrentUser } from './roles.decorator';
import { SignOut } from './sign-out';

/** `/api/auth`: sign-in, sign-out and the signed-in user. */
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly signOut: SignOut,
  ) {}

  /** `POST /api/auth/login`: 200 with a token and the user; 401 on wrong credentials; 429 when rate limited. */
  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginThrottlerGuard)
  login(@Body(new ZodValidationPipe(loginRequestSchema)) body: LoginRequest): Promise<LoginResponse> {
    return this.auth.login(body);
  }

  /**
   * `POST /api/auth/logout`: 204; ends the session of the token it is called with, on every
   * node (the token is refused from then on, and its open sockets are closed).
   */
  @Post('logout')
  @HttpCode(204)
  @UseGuards(JwtAuthGuard)
  logout(@CurrentSessionId() sessionId: string): Promise<void> {
    return this.signOut.session(sessionId);
  }

  /** `GET /api/auth/me`: the signed-in user. */
  @Get('me')
  @UseGuards(JwtAuthGuard)
  me(@CurrentUser() user: SessionUser): Promise<SessionUser> {
    return this.auth.me(user);
  }
}
