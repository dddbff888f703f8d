import { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

import { REDIS } from '@app/redis';

import { JWT_SECRET, JWT_SECRET_KEY } from './auth.constants';

/**
 * CHAT_JWT_SECRET when set; otherwise one random secret kept in Redis, created by whichever
 * instance boots first, so every instance of a cluster accepts every token with no set-up.
 */
export const jwtSecretProvider: Provider = {
  provide: JWT_SECRET,
  inject: [ConfigService, REDIS],
  useFactory: async (config: ConfigService, redis: Redis): Promise<string> => {
    const configured = config.get<string>('CHAT_JWT_SECRET');
    if (configured) return configured;
    await redis.set(JWT_SECRET_KEY, randomBytes(48).toString('base64url'), 'NX');
    return (await redis.get(JWT_SECRET_KEY)) as string;
  },
};
