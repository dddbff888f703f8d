import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import Redis, { Cluster } from 'ioredis';

import { keySlot } from '@app/redis';

import { waitFor } from '../../../test/support/ports';
import { TestRedisCluster } from '../../../test/support/redis-cluster';
import { TestRedis } from '../../../test/support/redis-server';
import { BusChannels } from './bus-channels';
import { BusServer } from './bus-transport';

const config = new ConfigService({
  REDIS_COMMAND_TIMEOUT_MS: 5000,
  REDIS_RETRY_DELAY_MS: 200,
});

/**
 * A transport with one handler, `message`, that records what it got; every channel-ready call ("<channel>
 * again" for a re-subscription), and every channel-released call.
 */
function transport(redis: Redis | Cluster): {
  sut: BusServer;
  got: Array<{ text: string }>;
  ready: string[];
  released: string[];
} {
  const sut = new BusServer(redis, config);
  const got: Array<{ text: string }> = [];
  const ready: string[] = [];
  sut.addHandler(
    'message',
    async (data: { text: string }) => void got.push(data),
    true,
  );
  sut.onChannelReady((channel, again) =>
    ready.push(again ? `${channel} again` : channel),
  );
  const released: string[] = [];
  sut.onChannelReleased((channel) => released.push(channel));
  sut.listen(() => undefined);
  return { sut, got, ready, released };
}

const body = (text: string): string => `{"k":"message","text":"${text}"}`;

describe(BusServer.name, () => {
  describe('on a standalone Redis', () => {
    let server: TestRedis;
    let redis: Redis;
    let bus: ReturnType<typeof transport>;

    before(async () => {
      server = await TestRedis.start();
      redis = new Redis(server.url);
      bus = transport(redis);
    });

    after(async () => {
      bus?.sut.close();
      redis?.disconnect();
      await server?.stop();
    });

    const subscribers = async (channel: string): Promise<number> =>
      Number(
        ((await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as unknown[])[1],
      );

    it('subscribes on the first interest, routes events by their kind, and unsubscribes after the last', async () => {
      const channel = BusChannels.room('lobby');
      await bus.sut.subscribe(channel);
      await bus.sut.subscribe(channel);
      assert.deepEqual(bus.ready, [channel]);
      assert.equal(await subscribers(channel), 1);

      await redis.spublish(channel, '{"k":"unknown"}');
      await redis.spublish(channel, body('one'));
      await waitFor(() => bus.got.length === 1, 3000, 'the event');
      assert.deepEqual(bus.got, [{ k: 'message', text: 'one' }]);
      assert.deepEqual(bus.sut.received(), {
        message: 1,
        dm: 0,
        said: 0,
        presence: 0,
        control: 1,
        probe: 0,
      });

      bus.sut.unsubscribe(channel);
      assert.equal(bus.sut.isActive(channel), true, 'one interest is left');
      assert.deepEqual(bus.released, []);
      bus.sut.unsubscribe(channel);
      assert.deepEqual(bus.released, [channel]);
      await waitFor(
        async () => (await subscribers(channel)) === 0,
        3000,
        'SUNSUBSCRIBE',
      );
      assert.equal(bus.sut.isActive(channel), false);
    });

    it('subscribes again after the connection is cut, and says so to the channel-ready listeners', async () => {
      const channel = BusChannels.user('ann');
      await bus.sut.subscribe(channel);
      bus.ready.length = 0;
      await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitFor(
        () => bus.ready.includes(`${channel} again`),
        5000,
        'resubscribed',
      );
      await redis.spublish(channel, body('after the cut'));
      await waitFor(
        () => bus.got.some((e) => e.text === 'after the cut'),
        3000,
        'the event after the cut',
      );
    });
  });

  describe('on a Redis Cluster', () => {
    let cluster: TestRedisCluster;
    let redis: Cluster;
    let bus: ReturnType<typeof transport>;
    /** One room per master, found by slot. */
    const rooms: string[] = [];

    before(async () => {
      cluster = await TestRedisCluster.start();
      redis = new Cluster(
        cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      );
      await new Promise((resolve) => redis.once('ready', resolve));
      bus = transport(redis);
      const masters = new Set<number>();
      for (let i = 0; rooms.length < 3; i++) {
        const master = await cluster.masterOfSlot(
          keySlot(BusChannels.room(`r${i}`)),
        );
        if (masters.has(master.port)) continue;
        masters.add(master.port);
        rooms.push(`r${i}`);
      }
    });

    after(async () => {
      bus?.sut.close();
      redis?.disconnect();
      await cluster?.stop();
    });

    it('subscribes each channel on the master of its slot, one connection per master', async () => {
      await Promise.all(
        rooms.map((room) => bus.sut.subscribe(BusChannels.room(room))),
      );
      assert.equal(bus.sut.subscriptions().size, 3);
      for (const room of rooms)
        await redis.spublish(BusChannels.room(room), body(room));
      await waitFor(() => bus.got.length === 3, 3000, 'one event per master');
      assert.deepEqual(bus.got.map((e) => e.text).sort(), [...rooms].sort());
    });

    it('moves a channel to the new master after a failover, and says so to the channel-ready listeners', async () => {
      const channel = BusChannels.room(rooms[1]);
      const master = await cluster.masterOfSlot(keySlot(channel));
      bus.ready.length = 0;
      const promoted = await cluster.failover(master.port);
      await waitFor(
        () =>
          bus.ready.includes(`${channel} again`) &&
          bus.sut.masterOf(channel) === `127.0.0.1:${promoted.port}`,
        15000,
        'the channel subscribed on the promoted replica',
      );
      await redis.spublish(channel, body('after the failover'));
      await waitFor(
        () => bus.got.some((e) => e.text === 'after the failover'),
        5000,
        'the event after the failover',
      );
    });

    it('moves a channel whose slot is migrated to another master', async () => {
      const channel = BusChannels.room(rooms[2]);
      const slot = keySlot(channel);
      const source = await cluster.masterOfSlot(slot);
      const target = (await cluster.masters()).find(
        (m) => m.port !== source.port,
      )!;
      const admin = (port: number): Redis =>
        new Redis({ host: '127.0.0.1', port, lazyConnect: true });
      const [to, from] = [admin(target.port), admin(source.port)];
      try {
        await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
        await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
        await to.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
        await from.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
      } finally {
        to.disconnect();
        from.disconnect();
      }
      let sent = 0;
      await waitFor(
        async () => {
          await redis.spublish(channel, body(`moved ${sent++}`));
          return bus.got.some((e) => e.text.startsWith('moved '));
        },
        15000,
        'an event on the channel, heard from its new master',
      );
      assert.equal(bus.sut.masterOf(channel), `127.0.0.1:${target.port}`);
    });
  });
});
