import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

import { REDIS } from '@app/redis';

import { USER_KEY_PREFIX } from './auth.constants';

/** Accounts in Redis: one hash per user holding only the password hash and the creation time. */
@Injectable()
export class UsersService {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async passwordHash(username: string): Promise<string | null> {
    return this.redis.hget(USER_KEY_PREFIX + username, 'hash');
  }

  /** Stores the account unless it exists already; false when someone else created it first. */
  async create(username: string, hash: string): Promise<boolean> {
    const created = await this.redis.hsetnx(USER_KEY_PREFIX + username, 'hash', hash);
    if (created) await this.redis.hset(USER_KEY_PREFIX + username, 'createdAt', Date.now());
    return created === 1;
  }

  async exists(username: string): Promise<boolean> {
    return (await this.redis.exists(USER_KEY_PREFIX + username)) === 1;
  }
}
