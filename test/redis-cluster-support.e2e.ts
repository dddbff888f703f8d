import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Cluster } from 'ioredis';

import { keySlot, TestRedisCluster } from './support/redis-cluster';

describe('TestRedisCluster (the loopback cluster the cluster tests run on)', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;

  before(async () => {
    cluster = await TestRedisCluster.start();
    client = new Cluster(
      cluster.nodesSetting.split(',').map((hostPort) => {
        const [host, port] = hostPort.split(':');
        return { host, port: Number(port) };
      }),
    );
  });

  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('starts 3 masters with one replica each, and computes slots as Redis does', async () => {
    assert.equal((await cluster.masters()).length, 3);
    assert.equal((await cluster.describe()).length, 6);
    const keys = ['chat:{r:lobby}:history', 'plain-key', 'chat:{u:alice}:dm'];
    for (const key of keys)
      assert.equal(keySlot(key), await client.cluster('KEYSLOT', key), key);
  });

  it('fails a master over gracefully: its replica serves the slot and the data is there', async () => {
    const key = 'chat:{r:failover}:k';
    await client.set(key, 'v');
    const master = await cluster.masterOfSlot(keySlot(key));
    const replica = await cluster.failover(master.port);
    assert.equal((await cluster.masterOfSlot(keySlot(key))).port, replica.port);
    assert.equal(await client.get(key), 'v');
  });
});
