import {
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Request } from 'express';

import { bearerMatches } from '@app/auth';

/** With METRICS_TOKEN set, `/metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(private readonly config: ConfigService) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.get<string>('METRICS_TOKEN');
    if (
      expected &&
      !bearerMatches(
        context.switchToHttp().getRequest<Request>().headers,
        expected,
      )
    ) {
      throw new UnauthorizedException(
        'Send Authorization: Bearer <METRICS_TOKEN>',
      );
    }
    return true;
  }
}
