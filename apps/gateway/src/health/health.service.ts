import { Inject, Injectable } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';

import { REDIS, RedisClient } from '@app/redis';

import { BusCanary } from './bus-canary.service';

const REDIS_PING_TIMEOUT_MS = 1000;

/** Liveness and readiness; readiness fails first thing on SIGTERM so load balancers stop sending clients. */
@Injectable()
export class HealthService {
  private draining = false;

  constructor(
    private readonly canary: BusCanary,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  drain(): void {
    this.draining = true;
  }

  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.shutdown(),
      () =>
        this.indicators
          .check('redis')
          .attempt(async () => void (await this.redis.ping()))
          .withTimeout(REDIS_PING_TIMEOUT_MS),
      () => this.canary.check(),
    ]);
  }

  private shutdown(): HealthIndicatorResult<'shutdown'> {
    const indicator = this.indicators.check('shutdown');
    return this.draining
      ? indicator.down({
          message: 'Shutting down: send new clients to another instance',
        })
      : indicator.up();
  }
}
