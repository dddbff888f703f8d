import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  ConsumerDeserializer,
  CustomStrategy,
  IncomingEvent,
  MessageHandler,
  RedisOptions as RedisTransportOptions,
  ServerRedis,
} from '@nestjs/microservices';

import { redisOptionsFromUrl } from '@app/redis';

import { shardedSubscriptions } from './sharded-subscriptions';

/**
 * The bus's one encoding: the channel is the event's pattern and the body is the event's JSON, whether
 * `ChatBus` publishes it directly or a store script does. Nest's own packet wrapper is not used, so the
 * Lua script does not have to imitate it.
 */
export class BusDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: { channel?: string }): IncomingEvent {
    return { pattern: options?.channel ?? '', data: value };
  }
}

interface ShardedClient {
  on(
    event: 'smessage',
    listener: (channel: string, body: string) => void,
  ): void;
  on(event: 'ready', listener: () => void): void;
  status: string;
  ssubscribe(channel: string): Promise<unknown>;
}

/**
 * Nest's Redis server, quiet during an outage: the stock one logs an ERROR with a stack on every failed
 * reconnect (several a second). The shared Redis connection already reports an outage once when it
 * starts, now and then while it lasts, and once when it ends; the bus's own attempts go to debug.
 */
export class BusServer extends ServerRedis {
  private readonly quiet = new Logger('ChatBus');
  /** Handlers by channel: Nest would parse and normalise the channel's JSON pattern again for every event. */
  private readonly routes = new Map<string, MessageHandler>();

  getHandlerByPattern(pattern: string): MessageHandler | null {
    const known = this.routes.get(pattern);
    if (known) return known;
    const handler = super.getHandlerByPattern(pattern);
    if (handler) this.routes.set(pattern, handler);
    return handler;
  }

  /* Besides Nest's own channels: the sharded ones, each message routed by its body's `k`. */
  bindEvents(
    subClient: Parameters<ServerRedis['bindEvents']>[0],
    pubClient: Parameters<ServerRedis['bindEvents']>[1],
  ): void {
    super.bindEvents(subClient, pubClient);
    const sub = subClient as unknown as ShardedClient;
    sub.on('smessage', (_channel: string, body: string) => {
      const event = JSON.parse(body) as { k: string };
      const handler = this.getHandlerByPattern(event.k);
      if (handler) void Promise.resolve(handler(event)).catch(() => undefined);
    });
    const attach = (): void =>
      void shardedSubscriptions
        .attach(sub)
        .catch((err: Error) =>
          this.quiet.debug(`Bus connection: ${err.message}`),
        );
    sub.on('ready', attach);
    if (sub.status === 'ready') attach();
  }

  registerErrorListener(client: {
    on(event: 'error', listener: (err: Error) => void): void;
  }): void {
    client.on('error', (err: Error) =>
      this.quiet.debug(`Bus connection: ${err.message}`),
    );
  }

  registerReconnectListener(client: {
    on(event: 'reconnecting', listener: () => void): void;
  }): void {
    client.on('reconnecting', () =>
      this.quiet.debug('Bus connection: reconnecting'),
    );
  }

  registerReadyListener(client: {
    on(event: 'ready', listener: () => void): void;
  }): void {
    client.on('ready', () => this.quiet.debug('Bus connection: subscribed'));
  }
}

/** The Redis transport that receives the bus; retries never run out, so a Redis restart is survived. */
export function busTransportOptions(config: ConfigService): CustomStrategy {
  const { retryStrategy: _ignored, ...connection } = redisOptionsFromUrl(
    config.getOrThrow<string>('REDIS_URL'),
  );
  const options: Required<RedisTransportOptions>['options'] = {
    ...connection,
    connectionName: 'chat-bus',
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryDelay: config.getOrThrow<number>('REDIS_RETRY_DELAY_MS'),
    maxRetriesPerRequest: 1,
    deserializer: new BusDeserializer(),
  };
  return { strategy: new BusServer(options) };
}
