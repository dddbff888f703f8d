import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { ReplicaWait } from '@app/redis';

import { TestRedis } from '../../../test/support/redis-server';
import { BusService } from './bus.service';
import { ChatBus } from './chat-bus.service';
import { HistoryService } from './history.service';

/** Bytes Redis has sent to its clients so far: what a read cost, whatever the commands. */
async function outputBytes(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

describe(HistoryService.name, () => {
  let server: TestRedis;
  let redis: Redis;
  let bus: ChatBus;
  let sut: HistoryService;
  const legacy: string[] = [];

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
    const config = new ConfigService({
      HISTORY_MAX_PER_ROOM: 100000,
      HISTORY_MAX_DMS_PER_USER: 100000,
      CID_TTL_SECONDS: 60,
      RATE_LIMIT_PER_SECOND: 1000000,
      RATE_LIMIT_BURST: 1000000,
      RATE_LIMIT_STRIKES: 1000,
      REDIS_COMMAND_TIMEOUT_MS: 60000,
    });
    bus = new ChatBus(
      redis,
      {} as BusService,
      config,
      new ReplicaWait(redis, config),
    );
    sut = new HistoryService(redis);
    // Two DMs stored before conversations were indexed: in the user's stream only.
    for (const n of [1001n, 1002n]) {
      const id = n.toString().padStart(16, '0');
      legacy.push(id);
      const json = JSON.stringify({
        id,
        from: 'cat',
        to: 'ann',
        text: 'old',
        ts: 1,
      });
      await redis.xadd('chat:history:dm:ann', `${n}-0`, 'm', json);
    }
    await redis.set('chat:seq', '1002');
    const send = (from: string, to: string, text: string) =>
      bus.publishDm(to, { from, text }, 'test');
    await Promise.all([0, 1, 2, 3, 4].map((i) => send('cat', 'ann', `c${i}`)));
    for (let start = 0; start < 10000; start += 1000)
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          send(i % 2 ? 'ann' : 'bob', i % 2 ? 'bob' : 'ann', `b${start + i}`),
        ),
      );
  });

  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  it('pages a conversation on a 10,000-DM stream reading about a page, not the stream', async () => {
    const start = await outputBytes(redis);
    const page = await sut.dmPage('ann', 'cat', 3);
    const cost = (await outputBytes(redis)) - start;
    assert.deepEqual(
      page.messages.map((dm) => dm.text),
      ['c2', 'c3', 'c4'],
    );
    assert.equal(page.more, true);
    assert.ok(cost < 4000, `read ${cost} bytes`);
  });

  it('finds the DMs stored before the index once the index has run out, and says when there is nothing earlier', async () => {
    const newest = await sut.dmPage('ann', 'cat', 3);
    const page = await sut.dmPage('ann', 'cat', 3, newest.messages[0].id);
    assert.deepEqual(
      page.messages.map((dm) => dm.text),
      ['old', 'c0', 'c1'],
    );
    assert.equal(page.more, true);
    const oldest = await sut.dmPage('ann', 'cat', 3, page.messages[0].id);
    assert.deepEqual(
      oldest.messages.map((dm) => dm.id),
      [legacy[0]],
    );
    assert.equal(oldest.more, false);
  });

  it('pages the busy conversation newest first with both directions', async () => {
    const page = await sut.dmPage('ann', 'bob', 2);
    assert.deepEqual(
      page.messages.map((dm) => dm.text),
      ['b9998', 'b9999'],
    );
    assert.deepEqual(
      (await sut.dmPage('bob', 'ann', 2)).messages.map((dm) => dm.text),
      ['b9998', 'b9999'],
    );
  });

  it('replays streams merged in id order, a page at a time, up to the given id', async () => {
    const keys = ['chat:history:dm:ann', 'chat:history:dm:cat'];
    const upTo = (await sut.dmPage('ann', 'cat', 1)).messages[0].id;
    const seen: string[] = [];
    for await (const dm of sut.replay(keys, legacy[1], upTo, 2))
      seen.push((dm as { text: string }).text);
    assert.deepEqual(seen, ['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('counts the DMs to a user after the seen mark, and the mark only rises', async () => {
    const all = await sut.unreadDms('ann', 100);
    assert.equal(all.count, 2 + 5 + 5000);
    const c4 = (await sut.dmPage('ann', 'cat', 1)).messages[0].id;
    await sut.markDmsSeen('ann', c4);
    await sut.markDmsSeen('ann', legacy[0]);
    const rest = await sut.unreadDms('ann', 100);
    assert.equal(rest.count, 5000);
    assert.equal(rest.after, BigInt(c4).toString());
  });
});
