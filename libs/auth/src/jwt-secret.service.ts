import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';

import { REDIS, RedisClient } from '@app/redis';

import { AuthKeys } from './auth-keys';

/**
 * The token signing secret: CHAT_JWT_SECRET when set; otherwise one random secret kept in Redis, created
 * by whichever instance asks first, so every instance of a cluster accepts every token with no set-up.
 * After Redis lost its data, `refresh` makes every instance converge on the one secret Redis now holds.
 */
@Injectable()
export class JwtSecret implements OnModuleInit {
  /* A KeyObject, not a string: jsonwebtoken otherwise tries (and fails) to read a string as a public key on every verify. */
  private secret: KeyObject = createSecretKey(Buffer.alloc(32));

  constructor(
    private readonly config: ConfigService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  get current(): KeyObject {
    return this.secret;
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const configured = this.config.get<string>('CHAT_JWT_SECRET');
    if (configured) {
      this.secret = createSecretKey(Buffer.from(configured));
      return;
    }
    // The secret kept under its pre-cluster key, so tokens issued before the upgrade stay good.
    const candidate =
      (await this.redis.get(AuthKeys.legacyJwtSecret)) ??
      randomBytes(48).toString('base64url');
    const shared =
      (await this.redis.set(AuthKeys.jwtSecret, candidate, 'NX', 'GET')) ??
      candidate;
    this.secret = createSecretKey(Buffer.from(shared));
  }
}
