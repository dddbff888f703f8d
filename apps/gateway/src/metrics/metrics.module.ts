import { Global, Inject, Module, OnModuleInit } from '@nestjs/common';

import { BusService, PubsubModule } from '@app/pubsub';
import { REDIS, RedisClient, ReplicaWait } from '@app/redis';

import { LoginMetricsInterceptor } from './login-metrics.interceptor';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Global, so any part of the gateway can count with one line: `this.metrics.rateLimited()`. */
@Global()
@Module({
  imports: [PubsubModule],
  controllers: [MetricsController],
  providers: [LoginMetricsInterceptor, MetricsService, MetricsTokenGuard],
  exports: [LoginMetricsInterceptor, MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly bus: BusService,
    private readonly metrics: MetricsService,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly replicas: ReplicaWait,
  ) {}

  onModuleInit(): void {
    this.redis.on('error', () => this.metrics.redisError());
    this.metrics.countBusEvents(() => this.bus.received());
    this.metrics.countUnreplicated(() => this.replicas.unreplicated);
  }
}
