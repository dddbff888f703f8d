import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

import { AuthService } from './auth.service';
import { bearerToken } from './bearer-token';
import { TokenClaims } from './token-claims';

export type AuthenticatedRequest = IncomingMessage & { claims: TokenClaims };

/** `Authorization: Bearer <login token>`; the token's claims are put on the request as `claims`. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const claims = await this.auth.verify(bearerToken(request.headers));
    if (!claims) {
      throw new UnauthorizedException(
        'Send Authorization: Bearer <token> with a token from POST /auth/login; this one is missing, expired or logged out',
      );
    }
    request.claims = claims;
    return true;
  }
}

/** The claims of the bearer token that BearerAuthGuard checked. */
export const AuthClaims = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TokenClaims =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().claims,
);
