import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import Redis, { Cluster } from 'ioredis';

import { ReplicaWait } from '@app/redis';

import { keySlot, TestRedisCluster } from '../../../test/support/redis-cluster';
import { BusService } from './bus.service';
import { ChatBus } from './chat-bus.service';
import { HistoryService } from './history.service';
import { PubsubKeys } from './pubsub-keys';
import { ReadLeases } from './read-leases.service';
import { SubscriptionsService } from './subscriptions.service';

/** The store steps and reads of libs/pubsub on a real Redis Cluster: every one stays in one slot. */
describe(`${ChatBus.name} on a Redis Cluster`, () => {
  let cluster: TestRedisCluster;
  let client: Cluster;
  let bus: ChatBus;
  let history: HistoryService;
  let follows: SubscriptionsService;
  let reads: ReadLeases;

  before(async () => {
    cluster = await TestRedisCluster.start();
    client = new Cluster(
      cluster.nodesSetting.split(',').map((hostPort) => {
        const [host, port] = hostPort.split(':');
        return { host, port: Number(port) };
      }),
      { retryDelayOnFailover: 100, retryDelayOnTryAgain: 100 },
    );
    const redis = client as unknown as Redis;
    const config = new ConfigService({
      HISTORY_MAX_PER_ROOM: 1000,
      HISTORY_MAX_DMS_PER_USER: 1000,
      CID_TTL_SECONDS: 60,
      STORE_TOKEN_TTL_SECONDS: 60,
      RATE_LIMIT_PER_SECOND: 1000,
      RATE_LIMIT_BURST: 1000,
      RATE_LIMIT_STRIKES: 1000,
      REDIS_COMMAND_TIMEOUT_MS: 60000,
      MAX_READS_IN_FLIGHT_PER_USER: 2,
      READ_WAIT_MS: 1000,
      READ_LEASE_TTL_MS: 10000,
    });
    bus = new ChatBus(
      redis,
      config,
      {} as BusService,
      new ReplicaWait(redis, config),
    );
    history = new HistoryService(redis);
    follows = new SubscriptionsService(redis);
    reads = new ReadLeases(redis, config);
  });

  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('stores room messages, follow copies and DMs, and reads them back, without a CROSSSLOT', async () => {
    assert.equal(await follows.subscribe('fan', 'ann', 10), true);
    const sent = await bus.publishMessage('lobby', {
      from: 'ann',
      text: 'hi',
      cid: 'c1',
    });
    assert.equal(sent.status, 'ok');
    assert.deepEqual(
      await bus.publishMessage('lobby', { from: 'ann', text: 'hi', cid: 'c1' }),
      { status: 'dup', id: (sent as { id: string }).id },
    );
    const dm = await bus.publishDm('bob', { from: 'ann', text: 'psst' }, 'x');
    assert.equal(dm.status, 'ok');

    assert.deepEqual(
      (await history.roomPage('lobby', 10)).messages.map((m) => m.text),
      ['hi'],
    );
    assert.deepEqual(
      (await history.dmPage('bob', 'ann', 10)).messages.map((m) => m.text),
      ['psst'],
    );
    const counters = await history.counters([
      'room:lobby',
      'dm:bob',
      'said:ann',
    ]);
    assert.ok([...counters.values()].every((id) => id > '0'.repeat(16)));
    const heads = await history.heads(
      new Map([
        ['room:lobby', '0000000000000000'],
        ['dm:bob', '0000000000000000'],
        ['said:ann', '0000000000000000'],
      ]),
    );
    assert.ok([...heads.values()].every((head) => head.complete));
    const said: string[] = [];
    for await (const m of history.replay(
      'said:ann',
      '0',
      counters.get('said:ann')!,
      10,
    ))
      said.push((m as { text: string }).text);
    assert.deepEqual(said, ['hi']);
    assert.equal((await history.unreadDms('bob', 10)).count, 1);
    await history.markDmsSeen('bob', counters.get('dm:bob')!);
    assert.equal(await reads.run('bob', async () => 'read'), 'read');
    assert.equal(await follows.unsubscribe('fan', 'ann'), true);
    assert.deepEqual(await follows.following('fan'), []);
  });

  it('stores every acknowledged message once through a failover mid-burst (re-sends and cid retries are no-ops)', async () => {
    const room = 'burst';
    const master = await cluster.masterOfSlot(
      keySlot(PubsubKeys.roomHistory(room)),
    );
    const send = (i: number) =>
      bus.publishMessage(room, {
        from: `u${i % 7}`,
        text: `m${i}`,
        cid: `b${i}`,
      });
    const burst = Array.from({ length: 300 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 5));
      let outcome = await send(i).catch(() => ({ status: 'error' }));
      // What a client does on TIMEOUT or INTERNAL: the same cid again, until it is answered.
      for (let retry = 0; !('id' in outcome) && retry < 50; retry++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        outcome = await send(i).catch(() => ({ status: 'error' }));
      }
      return outcome;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cluster.failover(master.port);
    const outcomes = await Promise.all(burst);
    assert.deepEqual(
      outcomes.filter((o) => !('id' in o)),
      [],
      'every send answered with an id in the end',
    );
    const stored = (await history.roomPage(room, 1000)).messages;
    assert.equal(stored.length, 300, 'each message stored once');
    assert.equal(new Set(stored.map((m) => m.text)).size, 300);
    const ids = new Set(stored.map((m) => m.id));
    assert.ok(outcomes.every((o) => ids.has((o as { id: string }).id)));
  });
});
