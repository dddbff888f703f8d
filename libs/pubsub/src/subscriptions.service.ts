import { Inject, Injectable } from '@nestjs/common';

import {
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { PubsubKeys } from './pubsub-keys';

/** Subscriptions belong to users, not sessions: they live in Redis until `unsubscribe`. */
@Injectable()
export class SubscriptionsService {
  private readonly followScript: LuaCommand<number>;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {
    this.followScript = defineLuaCommand(
      redis,
      'chatFollow',
      readLuaFile(__dirname, 'follow.lua'),
    );
  }

  /**
   * False when `subscriber` already follows `cap` other users. Two steps, each safe to repeat, on two
   * users' keys: the subscriber's set first (where the cap is checked), then the target's followers. A
   * pair left half done (the subscriber's set has the target, its followers lack the subscriber) is
   * completed by subscribing again; until then only the copies of the target's messages are missing.
   */
  async subscribe(
    subscriber: string,
    target: string,
    cap: number,
  ): Promise<boolean> {
    if (
      !(await this.followScript(
        [PubsubKeys.following(subscriber)],
        [target, cap],
      ))
    )
      return false;
    await this.redis.sadd(PubsubKeys.followers(target), subscriber);
    return true;
  }

  /**
   * False when there was no such subscription. Two steps on two users' slots, each safe to repeat: the
   * target's followers first (its follow copies stop), then the subscriber's set; a pair left half done
   * is completed by unsubscribing again, and until then the subscriber merely lists the target.
   */
  async unsubscribe(subscriber: string, target: string): Promise<boolean> {
    const removed = await this.redis.srem(
      PubsubKeys.followers(target),
      subscriber,
    );
    await this.redis.srem(PubsubKeys.following(subscriber), target);
    return removed === 1;
  }

  /** The users `subscriber` follows. */
  following(subscriber: string): Promise<string[]> {
    return this.redis.smembers(PubsubKeys.following(subscriber));
  }
}
