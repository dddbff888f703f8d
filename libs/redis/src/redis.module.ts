import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { REDIS } from './redis.constants';
import { createRedis, RedisClient, redisTarget } from './redis-connection';
import { coalesceRedisWrites } from './write-coalescing';
import { RedisEpoch } from './redis-epoch.service';
import { RedisOutageLog } from './redis-outage-log';
import { ReplicaWait } from './replica-wait';

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: async (config: ConfigService): Promise<RedisClient> => {
        const outage = new RedisOutageLog(new Logger('Redis'));
        const retryDelayMs = config.getOrThrow<number>('REDIS_RETRY_DELAY_MS');
        const redis = createRedis(
          redisTarget({
            REDIS_URL: config.getOrThrow<string>('REDIS_URL'),
            REDIS_CLUSTER_NODES: config.get<string>('REDIS_CLUSTER_NODES'),
          }),
          {
            connectionName: 'chat-state',
            lazyConnect: true,
            maxRetriesPerRequest: 1,
            // A command in flight when the connection drops may have run already: sent again, a publish
            // script would store the message twice. It fails instead (outcome unknown), and never runs twice.
            autoResendUnfulfilledCommands: false,
            commandTimeout: config.getOrThrow<number>(
              'REDIS_COMMAND_TIMEOUT_MS',
            ),
            retryStrategy: (times) => Math.min(times * 200, retryDelayMs),
          },
          { retryDelayMs },
        );
        redis.on('error', (err: NodeJS.ErrnoException) =>
          outage.failed(err.code ?? err.message),
        );
        redis.on('ready', () => outage.recovered());
        coalesceRedisWrites(redis);
        await redis.connect();
        return redis;
      },
    },
    RedisEpoch,
    ReplicaWait,
  ],
  exports: [REDIS, RedisEpoch, ReplicaWait],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
