import { ConfigService } from '@nestjs/config';
import { RedisOptions as RedisTransportOptions, Transport } from '@nestjs/microservices';

import { redisOptionsFromUrl } from '@app/redis';

/** Options for both ends of the Redis transport; retries never run out, so a Redis restart is survived. */
export function busTransportOptions(config: ConfigService): RedisTransportOptions {
  const { retryStrategy: _ignored, ...connection } = redisOptionsFromUrl(config.getOrThrow<string>('REDIS_URL'));
  return {
    transport: Transport.REDIS,
    options: {
      ...connection,
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: config.getOrThrow<number>('REDIS_RETRY_DELAY_MS'),
      commandTimeout: config.getOrThrow<number>('REDIS_COMMAND_TIMEOUT_MS'),
      maxRetriesPerRequest: 1,
    },
  };
}
