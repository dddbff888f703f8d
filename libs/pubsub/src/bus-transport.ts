import { ConfigService } from '@nestjs/config';
import {
  ConsumerDeserializer,
  IncomingEvent,
  RedisOptions as RedisTransportOptions,
  Transport,
} from '@nestjs/microservices';

import { redisOptionsFromUrl } from '@app/redis';

/**
 * The bus's one encoding: the channel is the event's pattern and the body is the event's JSON, whether
 * `ChatBus` publishes it directly or `publish.lua` does. Nest's own packet wrapper is not used, so the
 * Lua script does not have to imitate it.
 */
export class BusDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: { channel?: string }): IncomingEvent {
    return { pattern: options?.channel ?? '', data: value };
  }
}

/** The Redis transport that receives the bus; retries never run out, so a Redis restart is survived. */
export function busTransportOptions(
  config: ConfigService,
): RedisTransportOptions {
  const { retryStrategy: _ignored, ...connection } = redisOptionsFromUrl(
    config.getOrThrow<string>('REDIS_URL'),
  );
  return {
    transport: Transport.REDIS,
    options: {
      ...connection,
      connectionName: 'chat-bus',
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: config.getOrThrow<number>('REDIS_RETRY_DELAY_MS'),
      maxRetriesPerRequest: 1,
      deserializer: new BusDeserializer(),
    },
  };
}
