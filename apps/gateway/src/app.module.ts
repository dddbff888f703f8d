import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

import { RedisModule } from '@app/redis';

import { ChatModule } from './chat/chat.module';
import { Settings } from './config/settings';
import { HealthModule } from './health/health.module';
import { HttpModule } from './http/http.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class AppModule {
  /**
   * The gateway, configured by settings validated once at boot (`validateSettings`): ConfigService
   * serves exactly these, never process.env, so nothing has to patch the environment first.
   */
  static forSettings(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => ({ ...settings })],
        }),
        RedisModule,
        MetricsModule,
        LoggingModule,
        HealthModule,
        ChatModule,
        HttpModule,
      ],
    };
  }
}
