import { Global, Inject, Module, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';

import { REDIS } from '@app/redis';

import { LoginMetricsInterceptor } from './login-metrics.interceptor';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Global, so any part of the gateway can count with one line: `this.metrics.rateLimited()`. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [LoginMetricsInterceptor, MetricsService, MetricsTokenGuard],
  exports: [LoginMetricsInterceptor, MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onModuleInit(): void {
    this.redis.on('error', () => this.metrics.redisError());
  }
}
