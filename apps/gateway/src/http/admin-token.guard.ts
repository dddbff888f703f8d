import {
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Request } from 'express';

import { bearerMatches } from '@app/auth';

/** `Authorization: Bearer <CHAT_ADMIN_TOKEN>`; with no CHAT_ADMIN_TOKEN set, nobody gets in. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly config: ConfigService) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.get<string>('CHAT_ADMIN_TOKEN');
    if (!expected)
      throw new UnauthorizedException(
        'The admin API is disabled: set CHAT_ADMIN_TOKEN to enable it',
      );
    if (
      !bearerMatches(
        context.switchToHttp().getRequest<Request>().headers,
        expected,
      )
    ) {
      throw new UnauthorizedException(
        'Send Authorization: Bearer <CHAT_ADMIN_TOKEN>',
      );
    }
    return true;
  }
}
