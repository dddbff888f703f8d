import { Body, Controller, Get, HttpCode, Ip, Post, Query, UseGuards, UsePipes } from '@nestjs/common';

import { AuthClaims, AuthService, BearerAuthGuard, LoginDto, TokenClaims, TokenResponse } from '@app/auth';
import { LoginResponse } from '@app/protocol';

import { httpValidationPipe } from './http-errors';

@Controller('auth')
@UsePipes(httpValidationPipe)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Logs in; with REGISTRATION=open, an unused name is registered with this password. */
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Ip() address: string): Promise<LoginResponse> {
    return this.auth.login(dto.username, dto.password, address);
  }

  @Post('refresh')
  @HttpCode(200)
  @UseGuards(BearerAuthGuard)
  refresh(@AuthClaims() claims: TokenClaims): Promise<TokenResponse> {
    return this.auth.refresh(claims);
  }

  /** Revokes the bearer token, or with `?all=1` every token of its user. */
  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  logout(@AuthClaims() claims: TokenClaims, @Query('all') all: string | undefined, @Ip() address: string): Promise<void> {
    return this.auth.logout(claims, all === '1' || all === 'true', address);
  }

  @Get('me')
  @UseGuards(BearerAuthGuard)
  me(@AuthClaims() claims: TokenClaims): { username: string } {
    return { username: claims.sub };
  }
}
