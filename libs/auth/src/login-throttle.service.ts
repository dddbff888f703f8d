import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { REDIS } from '@app/redis';

const failuresKey = (username: string, address: string): string => `chat:login-failures:${username}:${address}`;

/**
 * Counts failed logins per username and client address across the cluster; past the limit, that pair
 * is refused until the window passes. Successful logins are never counted, so reconnecting clients are not hurt.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: ConfigService,
  ) {}

  /** Seconds until this pair may try again, or 0 when it may try now. */
  async retryAfter(username: string, address: string): Promise<number> {
    const key = failuresKey(username, address);
    const [failures, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    return Number(failures) >= this.config.getOrThrow<number>('LOGIN_MAX_FAILURES') ? Math.max(ttl, 1) : 0;
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const key = failuresKey(username, address);
    const window = this.config.getOrThrow<number>('LOGIN_FAILURE_WINDOW_SECONDS');
    await this.redis.multi().incr(key).expire(key, window, 'NX').exec();
  }
}
