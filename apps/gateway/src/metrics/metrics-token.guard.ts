import {
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Request } from 'express';

const digest = (text: string): Buffer =>
  createHash('sha256').update(text).digest();

/** With METRICS_TOKEN set, `/metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(private readonly config: ConfigService) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.get<string>('METRICS_TOKEN');
    if (!expected) return true;
    const header =
      context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const given = header.startsWith('Bearer ')
      ? header.slice('Bearer '.length)
      : '';
    if (!timingSafeEqual(digest(given), digest(expected)))
      throw new UnauthorizedException(
        'Send Authorization: Bearer <METRICS_TOKEN>',
      );
    return true;
  }
}
