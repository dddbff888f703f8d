import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

import { ChatKeys } from './chat-keys';
import { REDIS } from './redis.constants';
import type { RedisClient } from './redis-connection';

export interface Epoch {
  /** Names the data set; a new one means Redis lost the data it had. */
  id: string;
  /** The first message id of the data set: history cannot reach below it. */
  floor: string;
  /** True when this check found a different data set from the last one (Redis lost its data). */
  lost: boolean;
}

/**
 * Tells whether Redis still holds the data this instance has seen: the first instance to find no
 * epoch key creates one, and a key that vanished or changed means the data set was lost (a restart
 * without persistence, FLUSHALL).
 */
@Injectable()
export class RedisEpoch {
  private known?: Epoch;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  get current(): Epoch | undefined {
    return this.known;
  }

  async check(): Promise<Epoch> {
    const [seconds, micros] = await this.redis.time();
    const floor = String(
      (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) * 1024,
    ).padStart(16, '0');
    const candidate = `${randomBytes(8).toString('hex')}:${floor}`;
    const existing = await this.redis.set(
      ChatKeys.epoch,
      candidate,
      'NX',
      'GET',
    );
    const [id, first] = (existing ?? candidate).split(':');
    const epoch = {
      id,
      floor: first,
      lost: this.known !== undefined && this.known.id !== id,
    };
    this.known = epoch;
    return epoch;
  }
}
