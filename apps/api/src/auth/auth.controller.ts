import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { LoginRequest, LoginResponse, SessionUser } from '@switchboard/call-domain';
import { loginRequestSchema } from '@switchboard/call-domain/schemas';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { LoginThrottlerGuard } from './login-throttler.guard';
import { CurrentUser } from './roles.decorator';

/** `/api/auth`: sign-in and the signed-in user. */
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** `POST /api/auth/login`: 200 with a token and the user; 401 on wrong credentials; 429 when rate limited. */
  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginThrottlerGuard)
  login(@Body(new ZodValidationPipe(loginRequestSchema)) body: LoginRequest): Promise<LoginResponse> {
    return this.auth.login(body);
  }

  /** `GET /api/auth/me`: the signed-in user. */
  @Get('me')
  @UseGuards(JwtAuthGuard)
  me(@CurrentUser() user: SessionUser): Promise<SessionUser> {
    return this.auth.me(user);
  }
}
