import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

import { REDIS } from '@app/redis';

import { subscribersKey, subscriptionsKey } from './pubsub.constants';

/** Subscriptions belong to users, not sessions: they live in Redis until `unsubscribe`. */
@Injectable()
export class SubscriptionsService {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async subscribe(subscriber: string, target: string): Promise<void> {
    await this.redis.multi().sadd(subscribersKey(target), subscriber).sadd(subscriptionsKey(subscriber), target).exec();
  }

  /** False when there was no such subscription. */
  async unsubscribe(subscriber: string, target: string): Promise<boolean> {
    const results = await this.redis.multi().srem(subscribersKey(target), subscriber).srem(subscriptionsKey(subscriber), target).exec();
    return Number(results?.[0]?.[1]) === 1;
  }

  async subscriptionsOf(subscriber: string): Promise<string[]> {
    return (await this.redis.smembers(subscriptionsKey(subscriber))).sort();
  }
}
