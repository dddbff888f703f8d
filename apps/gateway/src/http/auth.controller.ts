import {
  Body,
  Controller,
  Get,
  HttpCode,
  Ip,
  Post,
  Query,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import {
  AuthClaims,
  AuthService,
  BearerAuthGuard,
  LoginDto,
  TokenClaims,
  TokenResponse,
  WsTicket,
} from '@app/auth';
import { LoginResponse } from '@app/protocol';

import { LoginMetricsInterceptor } from '../metrics/login-metrics.interceptor';
import { LoginResponseDto } from '../openapi/dto/login-response.dto';
import { UserDto } from '../openapi/dto/user.dto';
import { WsTicketDto } from '../openapi/dto/ws-ticket.dto';

import { httpValidationPipe } from './http-errors';

@ApiTags('auth')
@Controller('auth')
@UsePipes(httpValidationPipe)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Logs in; with REGISTRATION=open, an unused name is registered with this password. */
  @Post('login')
  @HttpCode(200)
  @UseInterceptors(LoginMetricsInterceptor)
  @ApiOperation({
    summary:
      'Log in (with REGISTRATION=open, a new username is registered with this password)',
  })
  @ApiOkResponse({
    type: LoginResponseDto,
    description: 'Logged in, or registered on first login',
  })
  @ApiUnauthorizedResponse({
    description:
      'Wrong username or password (the same whether or not the user exists)',
  })
  @ApiForbiddenResponse({
    description:
      'The request came from a web page whose Origin is not in ALLOWED_ORIGINS, or an admin disabled the account (the right password is needed to learn that)',
  })
  @ApiTooManyRequestsResponse({
    description:
      'Too many failed logins or registrations: Retry-After says how long to wait',
  })
  @ApiServiceUnavailableResponse({
    description:
      'Redis is unreachable or the hashing queue is full: Retry-After says when to try again',
  })
  login(@Body() dto: LoginDto, @Ip() address: string): Promise<LoginResponse> {
    return this.auth.login(dto.username, dto.password, address);
  }

  @Post('refresh')
  @HttpCode(200)
  @UseGuards(BearerAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'A fresh token for the bearer token (call it before the old one expires)',
  })
  @ApiOkResponse({
    type: LoginResponseDto,
    description: 'A new token for the same user',
  })
  @ApiUnauthorizedResponse({
    description: 'Missing, forged, expired or revoked token',
  })
  @ApiForbiddenResponse({
    description: 'An admin disabled the account',
  })
  refresh(@AuthClaims() claims: TokenClaims): Promise<TokenResponse> {
    return this.auth.refresh(claims);
  }

  /** Revokes the bearer token, or with `?all=1` every token of its user. */
  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Revoke the bearer token (or every token of its user with ?all=1); its sockets close with 4401',
  })
  @ApiQuery({
    name: 'all',
    required: false,
    description: '1 to revoke every token of the user',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiUnauthorizedResponse({
    description: 'Missing, forged, expired or revoked token',
  })
  logout(
    @AuthClaims() claims: TokenClaims,
    @Query('all') all: string | undefined,
    @Ip() address: string,
  ): Promise<void> {
    return this.auth.logout(claims, all === '1' || all === 'true', address);
  }

  /** Browsers cannot set headers on a WebSocket, and a token in its URL would reach logs: they trade it for a ticket. */
  @Post('ticket')
  @HttpCode(200)
  @UseGuards(BearerAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'A single-use, short-lived ticket that opens one WebSocket as /ws?ticket=… (for browsers)',
  })
  @ApiOkResponse({
    type: WsTicketDto,
    description: 'The ticket and how long it stays usable',
  })
  @ApiUnauthorizedResponse({
    description: 'Missing, forged, expired or revoked token',
  })
  ticket(@AuthClaims() claims: TokenClaims): Promise<WsTicket> {
    return this.auth.issueTicket(claims);
  }

  @Get('me')
  @UseGuards(BearerAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the bearer token belongs to' })
  @ApiOkResponse({ type: UserDto, description: 'The token is valid' })
  @ApiUnauthorizedResponse({
    description: 'Missing, forged, expired or revoked token',
  })
  me(@AuthClaims() claims: TokenClaims): { username: string } {
    return { username: claims.sub };
  }
}
