import { ArgumentsHost, Catch, HttpStatus, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { Response } from 'express';

import { RetryLaterException } from '@app/auth';
import {
  isRedisOutOfMemory,
  isRedisUnavailable,
  STORE_FULL_MESSAGE,
} from '@app/redis';

/** How long a client waits before trying again while Redis is full: an operator has to act. */
const STORE_FULL_RETRY_SECONDS = 60;

/**
 * Every 429 and 503 carries `Retry-After` (seconds); a request that failed because Redis is down or
 * too slow is a 503 with a short message, not a 500 with a stack in the log (the Redis provider logs
 * the outage itself). Anything else goes to Nest's default handling.
 */
@Catch()
export class RetryAfterFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(RetryAfterFilter.name);
  private readonly redisRetrySeconds: number;

  constructor(adapterHost: HttpAdapterHost, config: ConfigService) {
    super(adapterHost.httpAdapter);
    this.redisRetrySeconds = Math.max(
      1,
      Math.ceil(config.getOrThrow<number>('REDIS_RETRY_DELAY_MS') / 1000),
    );
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const res = host.switchToHttp().getResponse<Response>();
    if (isRedisOutOfMemory(exception)) {
      this.logger.warn(`Answered 503: ${(exception as Error).message}`);
      res.setHeader('Retry-After', String(STORE_FULL_RETRY_SECONDS));
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        message: `${STORE_FULL_MESSAGE} (in ${STORE_FULL_RETRY_SECONDS} s)`,
      });
      return;
    }
    if (exception instanceof RetryLaterException) {
      res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    } else if (isRedisUnavailable(exception)) {
      this.logger.debug(`Answered 503: ${(exception as Error).message}`);
      res.setHeader('Retry-After', String(this.redisRetrySeconds));
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        message: `The chat store is unreachable: try again in ${this.redisRetrySeconds} s`,
      });
      return;
    }
    super.catch(exception, host);
  }
}
