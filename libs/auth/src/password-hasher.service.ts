import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

import { RetryLaterException } from './retry-later.exception';
import { QueueFullError, Semaphore } from './semaphore';

/**
 * argon2id with the parameters of the settings. Each hash takes ARGON2_MEMORY_KIB of memory and a
 * libuv thread for tens of milliseconds, so at most HASH_CONCURRENCY run at once, HASH_QUEUE_LIMIT
 * more wait, and beyond that a login is refused with 503 and a Retry-After estimated from the queue.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly params: {
    memoryCost: number;
    timeCost: number;
    parallelism: number;
  };
  private readonly queue: Semaphore;
  private averageMs = 50;
  private dummyHash = '';

  constructor(config: ConfigService) {
    this.params = {
      memoryCost: config.getOrThrow<number>('ARGON2_MEMORY_KIB'),
      timeCost: config.getOrThrow<number>('ARGON2_TIME_COST'),
      parallelism: config.getOrThrow<number>('ARGON2_PARALLELISM'),
    };
    this.queue = new Semaphore(
      config.getOrThrow<number>('HASH_CONCURRENCY'),
      config.getOrThrow<number>('HASH_QUEUE_LIMIT'),
    );
  }

  /* A hash of a random password with the current parameters, so that checking an unknown user costs what checking a known one does. */
  async onModuleInit(): Promise<void> {
    this.dummyHash = await argon2.hash(randomBytes(32), {
      type: argon2.argon2id,
      ...this.params,
    });
  }

  hash(password: string): Promise<string> {
    return this.queued(() =>
      argon2.hash(password, { type: argon2.argon2id, ...this.params }),
    );
  }

  /** Whether `password` matches `hash`, whatever parameters `hash` was made with. */
  verify(hash: string, password: string): Promise<boolean> {
    return this.queued(() => argon2.verify(hash, password).catch(() => false));
  }

  /** As long as `verify` against a hash with the current parameters, and always false: for names with no account. */
  async verifyNobody(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  /** True when `hash` was made with other parameters than the current ones. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.params);
    } catch {
      return true;
    }
  }

  private async queued<T>(work: () => Promise<T>): Promise<T> {
    const timed = async (): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        this.averageMs =
          0.8 * this.averageMs + 0.2 * (performance.now() - started);
      }
    };
    try {
      return await this.queue.run(timed);
    } catch (err) {
      if (!(err instanceof QueueFullError)) throw err;
      const wait = Math.max(
        1,
        Math.ceil(
          (this.queue.pending * this.averageMs) / this.queue.limit / 1000,
        ),
      );
      throw new RetryLaterException(
        `The server is busy with other logins: try again in ${wait} s`,
        HttpStatus.SERVICE_UNAVAILABLE,
        wait,
      );
    }
  }
}
