import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { PubsubKeys } from './pubsub-keys';

/** The user already has MAX_READS_IN_FLIGHT_PER_USER expensive reads running, and none ended in time. */
export class ReadsBusyError extends Error {
  constructor(readonly limit: number) {
    super(`too many reads in flight (MAX_READS_IN_FLIGHT_PER_USER=${limit})`);
  }
}

/** One lease, held until `release`; renewed meanwhile so that only a dead gateway's leases expire. */
export interface ReadLease {
  release(): Promise<void>;
}

const RETRY_MS = 100;

/**
 * Caps a user's expensive reads (history pages, resume replays, offline catch-ups) in flight across
 * the cluster at MAX_READS_IN_FLIGHT_PER_USER. A read beyond the cap waits up to READ_WAIT_MS for one
 * to end, then fails with `ReadsBusyError`. Leases live READ_LEASE_TTL_MS unless renewed.
 */
@Injectable()
export class ReadLeases {
  private readonly limit: number;
  private readonly waitMs: number;
  private readonly ttlMs: number;
  private readonly script: LuaCommand<number>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    config: ConfigService,
  ) {
    this.limit = config.getOrThrow<number>('MAX_READS_IN_FLIGHT_PER_USER');
    this.waitMs = config.getOrThrow<number>('READ_WAIT_MS');
    this.ttlMs = config.getOrThrow<number>('READ_LEASE_TTL_MS');
    this.script = defineLuaCommand(
      redis,
      'chatReadLease',
      readLuaFile(__dirname, 'read-lease.lua'),
    );
  }

  async acquire(user: string): Promise<ReadLease> {
    const key = PubsubKeys.reads(user);
    const id = randomUUID();
    const take = (): Promise<number> =>
      this.script([key], [id, this.ttlMs, this.limit]);
    const deadline = Date.now() + this.waitMs;
    while ((await take()) === 0) {
      if (Date.now() + RETRY_MS > deadline)
        throw new ReadsBusyError(this.limit);
      await sleep(RETRY_MS);
    }
    const renewal = setInterval(
      () => void take().catch(() => undefined),
      this.ttlMs / 3,
    );
    renewal.unref();
    return {
      release: async (): Promise<void> => {
        clearInterval(renewal);
        await this.redis.zrem(key, id).catch(() => undefined);
      },
    };
  }

  /** `work` under a lease of `user`'s. */
  async run<T>(user: string, work: () => Promise<T>): Promise<T> {
    const lease = await this.acquire(user);
    try {
      return await work();
    } finally {
      await lease.release();
    }
  }

  /** `source`, read under a lease of `user`'s taken at the first read and released when it ends or is left. */
  async *leased<T>(user: string, source: AsyncIterable<T>): AsyncGenerator<T> {
    const lease = await this.acquire(user);
    try {
      yield* source;
    } finally {
      await lease.release();
    }
  }
}
