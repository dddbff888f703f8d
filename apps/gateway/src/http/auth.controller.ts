import { Body, Controller, Get, HttpCode, Ip, Post, Req, UseGuards, UsePipes } from '@nestjs/common';

import { AuthenticatedUser, AuthService, JwtAuthGuard, LoginDto } from '@app/auth';
import { LoginResponse } from '@app/protocol';

import { httpValidationPipe } from './http-errors';

@Controller('auth')
@UsePipes(httpValidationPipe)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Logs in; a new username is registered with this password on its first login. */
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Ip() address: string): Promise<LoginResponse> {
    return this.auth.login(dto.username, dto.password, address);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  me(@Req() req: { user: AuthenticatedUser }): AuthenticatedUser {
    return req.user;
  }
}
