import {
  CallHandler,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  NestInterceptor,
  UnauthorizedException,
} from '@nestjs/common';
import { Observable, tap } from 'rxjs';

import { MetricsService } from './metrics.service';

/** Counts the outcomes of `POST /auth/login`: ok, failed (401) or locked (429). */
@Injectable()
export class LoginMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(
    _context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    return next.handle().pipe(
      tap({
        next: () => this.metrics.login('ok'),
        error: (err: unknown) => {
          if (err instanceof UnauthorizedException)
            this.metrics.login('failed');
          else if (
            err instanceof HttpException &&
            err.getStatus() === HttpStatus.TOO_MANY_REQUESTS
          )
            this.metrics.login('locked');
        },
      }),
    );
  }
}
