import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { ReplicaWait } from '@app/redis';

import { TestRedis } from '../../../test/support/redis-server';
import { BusService } from './bus.service';
import { ChatBus } from './chat-bus.service';
import { HistoryService } from './history.service';
import { PubsubKeys } from './pubsub-keys';

/** Bytes Redis has sent to its clients so far: what a read cost, whatever the commands. */
async function outputBytes(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

const testBusConfig = (): ConfigService =>
  new ConfigService({
    HISTORY_MAX_PER_ROOM: 100000,
    HISTORY_MAX_DMS_PER_USER: 100000,
    CID_TTL_SECONDS: 60,
    STORE_TOKEN_TTL_SECONDS: 60,
    RATE_LIMIT_PER_SECOND: 1000000,
    RATE_LIMIT_BURST: 1000000,
    RATE_LIMIT_STRIKES: 1000,
    REDIS_COMMAND_TIMEOUT_MS: 60000,
  });

describe(HistoryService.name, () => {
  let server: TestRedis;
  let redis: Redis;
  let bus: ChatBus;
  let sut: HistoryService;

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
    const config = testBusConfig();
    bus = new ChatBus(
      redis,
      config,
      {} as BusService,
      new ReplicaWait(redis, config),
    );
    sut = new HistoryService(redis);
    const send = (from: string, to: string, text: string) =>
      bus.publishDm(to, { from, text }, 'test');
    for (const i of [0, 1, 2, 3, 4]) await send('cat', 'ann', `c${i}`);
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

  it('pages a conversation on a 10,000-DM inbox reading about a page, not the stream', async () => {
    const start = await outputBytes(redis);
    const page = await sut.dmPage('ann', 'cat', 3);
    const cost = (await outputBytes(redis)) - start;
    assert.deepEqual(
      page.messages.map((dm) => dm.text),
      ['c2', 'c3', 'c4'],
    );
    assert.equal(page.more, true);
    assert.ok(cost < 4000, `read ${cost} bytes`);
    const oldest = await sut.dmPage('ann', 'cat', 3, page.messages[0].id);
    assert.deepEqual(
      oldest.messages.map((dm) => dm.text),
      ['c0', 'c1'],
    );
    assert.equal(oldest.more, false);
  });

  it('pages the busy conversation from each side’s own inbox, each in its own id order', async () => {
    for (const [user, other] of [
      ['ann', 'bob'],
      ['bob', 'ann'],
    ]) {
      const page = await sut.dmPage(user, other, 200);
      const ids = page.messages.map((dm) => dm.id);
      assert.deepEqual(ids, [...ids].sort());
      assert.ok(
        page.messages.every(
          (dm) => [dm.from, dm.to].sort().join() === 'ann,bob',
        ),
      );
      assert.equal(page.messages.length, 200);
      assert.equal(page.more, true);
    }
  });

  it('replays one stream in id order, a page at a time, up to the given id', async () => {
    const cats = (await sut.dmPage('ann', 'cat', 5)).messages;
    const seen: string[] = [];
    for await (const dm of sut.replay('dm:ann', cats[0].id, cats[4].id, 2))
      seen.push((dm as { text: string }).text);
    assert.deepEqual(seen, ['c1', 'c2', 'c3', 'c4']);
  });

  it('says a cursor above the stream’s counter, or whose entry is gone while older ones remain, cannot be replayed whole', async () => {
    const cats = (await sut.dmPage('cat', 'ann', 5)).messages;
    const [head] = (await sut.counters(['dm:cat'])).values();
    assert.equal(head, cats[4].id);
    const above = (BigInt(head) + 1n).toString().padStart(16, '0');
    await redis.xdel(PubsubKeys.inbox('cat'), `${BigInt(cats[2].id)}-0`);
    const heads = await sut.heads(
      new Map([
        ['dm:cat', cats[1].id],
        ['said:nobody', '0000000000000000'],
      ]),
    );
    assert.deepEqual(heads.get('said:nobody'), {
      head: '0000000000000000',
      complete: true,
    });
    assert.equal(
      heads.get('dm:cat')?.complete,
      false,
      'an entry after it was deleted',
    );
    const atHead = await sut.heads(new Map([['dm:cat', head]]));
    assert.deepEqual(atHead.get('dm:cat'), { head, complete: true });
    const ahead = await sut.heads(new Map([['dm:cat', above]]));
    assert.equal(ahead.get('dm:cat')?.complete, false);
    const gone = await sut.heads(new Map([['dm:cat', cats[2].id]]));
    assert.equal(gone.get('dm:cat')?.complete, false);
  });

  it('counts the DMs to a user after the seen mark, and the mark only rises', async () => {
    const all = await sut.unreadDms('ann', 100);
    assert.equal(all.count, 5 + 5000);
    const c4 = (await sut.dmPage('ann', 'cat', 1)).messages[0].id;
    const c0 = (await sut.dmPage('ann', 'cat', 5)).messages[0].id;
    await sut.markDmsSeen('ann', c4);
    await sut.markDmsSeen('ann', c0);
    const rest = await sut.unreadDms('ann', 100);
    assert.equal(rest.count, 5000);
    assert.equal(rest.after, BigInt(c4).toString());
  });
});
