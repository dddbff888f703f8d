import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

import { RedisModule } from '@app/redis';

import { ChatModule } from './chat/chat.module';
import { validateSettings } from './config/settings';
import { HealthModule } from './health/health.module';
import { HttpModule } from './http/http.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      ignoreEnvFile: true,
      validate: validateSettings,
    }),
    RedisModule,
    MetricsModule,
    LoggingModule,
    HealthModule,
    ChatModule,
    HttpModule,
  ],
})
export class AppModule {}
