import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis, { Cluster } from 'ioredis';

import { TestRedisCluster } from '../../../test/support/redis-cluster';
import { TestRedis } from '../../../test/support/redis-server';
import { waitFor } from '../../../test/support/ports';
import { keySlot } from './key-slot';
import { waitForReplicas } from './replica-wait';

describe(waitForReplicas.name, () => {
  describe('on a standalone Redis with one replica', () => {
    let master: TestRedis;
    let replica: TestRedis;
    let sut: Redis;

    before(async () => {
      master = await TestRedis.start();
      replica = await TestRedis.start([
        '--replicaof',
        '127.0.0.1',
        String(master.port),
      ]);
      sut = new Redis(master.url);
      await waitFor(
        async () => /slave0:.*state=online/.test(await sut.info('replication')),
        10000,
        'the replica to attach',
      );
    });

    after(async () => {
      sut?.disconnect();
      await replica?.stop();
      await master?.stop();
    });

    it('reports the replica that acknowledged the store', async () => {
      await sut.set('chat:{r:lobby}:k', 'v');
      assert.deepEqual(
        await waitForReplicas(sut, 'chat:{r:lobby}:k', 1, 2000),
        { required: 1, acknowledged: 1, ok: true },
      );
    });

    it('asks nothing when no replica is required', async () => {
      const closed = new Redis({ lazyConnect: true, port: 1 });
      assert.deepEqual(await waitForReplicas(closed, 'k', 0, 100), {
        required: 0,
        acknowledged: 0,
        ok: true,
      });
    });

    it('says so when the replicas did not acknowledge in time', async () => {
      await sut.set('chat:{r:lobby}:k', 'v2');
      assert.deepEqual(await waitForReplicas(sut, 'chat:{r:lobby}:k', 2, 50), {
        required: 2,
        acknowledged: 1,
        ok: false,
      });
    });
  });

  describe('on a Redis Cluster', () => {
    let cluster: TestRedisCluster;
    let sut: Cluster;

    before(async () => {
      cluster = await TestRedisCluster.start();
      sut = new Cluster(
        cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      );
      await waitFor(
        async () => {
          const masters = sut.nodes('master');
          const infos = await Promise.all(
            masters.map((master) => master.info('replication')),
          );
          return (
            masters.length === 3 &&
            infos.every((info) => /slave0:.*state=online/.test(info))
          );
        },
        10000,
        'every replica to be in sync',
      );
      await waitFor(
        async () => {
          await new Promise((resolve) => sut.refreshSlotsCache(resolve));
          return sut.slots.every((nodes) => nodes.length === 2);
        },
        10000,
        "the client's slot map to list every replica",
      );
    });

    after(async () => {
      sut?.disconnect();
      await cluster?.stop();
    });

    it("sends WAIT to the master of the key's slot, whose replica acknowledges", async () => {
      for (const key of ['chat:{r:a}:k', 'chat:{u:bob}:k', 'chat:{r:zz}:k']) {
        await sut.set(key, 'v');
        assert.deepEqual(await waitForReplicas(sut, key, 1, 2000), {
          required: 1,
          acknowledged: 1,
          ok: true,
        });
      }
    });

    it('answers not replicated at once, sending no WAIT, when the slot map lists no replica for the master (one lost in a failover)', async () => {
      const key = 'chat:{r:alone}:k';
      await sut.set(key, 'v');
      const slot = keySlot(key);
      const listed = sut.slots[slot];
      const waits: unknown[] = [];
      const masters = sut.nodes('master');
      const original = masters.map((node) => node.wait);
      masters.forEach(
        (node) =>
          (node.wait = ((...args: unknown[]) => {
            waits.push(args);
            return Promise.resolve(0);
          }) as never),
      );
      try {
        sut.slots[slot] = [listed[0]];
        assert.deepEqual(await waitForReplicas(sut, key, 1, 60000), {
          required: 1,
          acknowledged: 0,
          ok: false,
        });
        assert.deepEqual(waits, [], 'no WAIT held the connection');
      } finally {
        sut.slots[slot] = listed;
        masters.forEach((node, i) => (node.wait = original[i]));
      }
    });
  });
});
