import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

import { PubsubModule } from '@app/pubsub';

import { BusCanary } from './bus-canary.service';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/* Terminus's own logger would print a failing check on every probe; BusCanary and RedisModule log the changes instead. */
@Module({
  imports: [PubsubModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [BusCanary, HealthService],
  exports: [BusCanary, HealthService],
})
export class HealthModule {}
