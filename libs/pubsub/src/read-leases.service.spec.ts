import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { TestRedis } from '../../../test/support/redis-server';
import { PubsubKeys } from './pubsub-keys';
import { ReadLeases, ReadsBusyError } from './read-leases.service';

describe(ReadLeases.name, () => {
  let server: TestRedis;
  let redis: Redis;
  const make = (waitMs: number, ttlMs = 30000): ReadLeases =>
    new ReadLeases(
      redis,
      new ConfigService({
        MAX_READS_IN_FLIGHT_PER_USER: 2,
        READ_WAIT_MS: waitMs,
        READ_LEASE_TTL_MS: ttlMs,
      }),
    );

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
  });

  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  it('lets a user hold the most leases across instances, refuses one more, and admits it once one is released', async () => {
    const sut = make(0);
    const peer = make(0);
    const first = await sut.acquire('ann');
    const second = await peer.acquire('ann');
    await assert.rejects(sut.acquire('ann'), ReadsBusyError);
    const other = await sut.acquire('bob');
    await first.release();
    const third = await peer.acquire('ann');
    await Promise.all([second.release(), third.release(), other.release()]);
  });

  it('waits up to READ_WAIT_MS for a lease to come free', async () => {
    const sut = make(2000);
    const held = [await sut.acquire('cy'), await sut.acquire('cy')];
    setTimeout(() => void held[0].release(), 200);
    const late = await sut.acquire('cy');
    await Promise.all([held[1].release(), late.release()]);
  });

  it('frees the leases of a gateway that died once their TTL passed', async () => {
    const dead = make(0, 3000);
    await dead.acquire('dee');
    await dead.acquire('dee');
    // The dead gateway renews nothing: drop its leases' renewal by expiring them in Redis time.
    const members = await redis.zrange(PubsubKeys.reads('dee'), '0', '-1');
    for (const member of members)
      await redis.zadd(PubsubKeys.reads('dee'), '1', member);
    const lease = await make(0).acquire('dee');
    await lease.release();
  });
});
