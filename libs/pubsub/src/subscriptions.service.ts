import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

import { ChatKeys, REDIS } from '@app/redis';

/** Subscriptions belong to users, not sessions: they live in Redis until `unsubscribe`. */
@Injectable()
export class SubscriptionsService {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async subscribe(subscriber: string, target: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(ChatKeys.followers(target), subscriber)
      .sadd(ChatKeys.following(subscriber), target)
      .exec();
  }

  /** False when there was no such subscription. */
  async unsubscribe(subscriber: string, target: string): Promise<boolean> {
    const results = await this.redis
      .multi()
      .srem(ChatKeys.followers(target), subscriber)
      .srem(ChatKeys.following(subscriber), target)
      .exec();
    return Number(results?.[0]?.[1]) === 1;
  }

  /** The users `subscriber` follows. */
  following(subscriber: string): Promise<string[]> {
    return this.redis.smembers(ChatKeys.following(subscriber));
  }
}
