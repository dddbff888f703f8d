import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { REDIS } from './redis.constants';
import { RedisEpoch } from './redis-epoch.service';
import { redisOptionsFromUrl } from './redis-options';
import { RedisOutageLog } from './redis-outage-log';

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: async (config: ConfigService): Promise<Redis> => {
        const outage = new RedisOutageLog(new Logger('Redis'));
        const redis = new Redis({
          ...redisOptionsFromUrl(config.getOrThrow<string>('REDIS_URL')),
          connectionName: 'chat-state',
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          // A command in flight when the connection drops may have run already: sent again, a publish
          // script would store the message twice. It fails instead (outcome unknown), and never runs twice.
          autoResendUnfulfilledCommands: false,
          commandTimeout: config.getOrThrow<number>('REDIS_COMMAND_TIMEOUT_MS'),
          retryStrategy: (times) =>
            Math.min(
              times * 200,
              config.getOrThrow<number>('REDIS_RETRY_DELAY_MS'),
            ),
        });
        redis.on('error', (err: NodeJS.ErrnoException) =>
          outage.failed(err.code ?? err.message),
        );
        redis.on('ready', () => outage.recovered());
        await redis.connect();
        return redis;
      },
    },
    RedisEpoch,
  ],
  exports: [REDIS, RedisEpoch],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
