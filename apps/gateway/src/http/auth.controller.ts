import { Body, Controller, Get, HttpCode, Ip, Post, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

import { AuthenticatedUser, AuthService, JwtAuthGuard, LoginDto } from '@app/auth';
import { LoginResponse } from '@app/protocol';

import { LoginMetricsInterceptor } from '../metrics/login-metrics.interceptor';
import { LoginResponseDto } from '../openapi/dto/login-response.dto';
import { UserDto } from '../openapi/dto/user.dto';

import { httpValidationPipe } from './http-errors';

@ApiTags('auth')
@Controller('auth')
@UsePipes(httpValidationPipe)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Logs in; a new username is registered with this password on its first login. */
  @Post('login')
  @HttpCode(200)
  @UseInterceptors(LoginMetricsInterceptor)
  @ApiOperation({ summary: 'Log in (a new username is registered with this password)' })
  @ApiOkResponse({ type: LoginResponseDto, description: 'Logged in, or registered on first login' })
  @ApiUnauthorizedResponse({ description: 'Wrong username or password' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins for this name from this address: the message says how long to wait' })
  login(@Body() dto: LoginDto, @Ip() address: string): Promise<LoginResponse> {
    return this.auth.login(dto.username, dto.password, address);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the bearer token belongs to' })
  @ApiOkResponse({ type: UserDto, description: 'The token is valid' })
  @ApiUnauthorizedResponse({ description: 'Missing, forged or expired token' })
  me(@Req() req: { user: AuthenticatedUser }): AuthenticatedUser {
    return req.user;
  }
}
