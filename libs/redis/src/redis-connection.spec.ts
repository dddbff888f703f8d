import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Redis, { Cluster } from 'ioredis';

import {
  createRedis,
  parseClusterNodes,
  redisTarget,
  RedisTargetError,
} from './redis-connection';

describe(redisTarget.name, () => {
  it('takes the cluster from REDIS_CLUSTER_NODES, which wins over REDIS_URL', () => {
    const target = redisTarget({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001',
    });
    assert.deepEqual(target.nodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    assert.equal(
      target.label,
      'the Redis Cluster at 10.0.0.1:7000,10.0.0.2:7001',
    );
    assert.equal(
      redisTarget({ REDIS_URL: 'redis://:pw@h:6390' }).label,
      'Redis at redis://:***@h:6390',
    );
  });

  it('carries the user, password and TLS of a URL entry to every node', () => {
    assert.deepEqual(
      parseClusterNodes('rediss://app:s%40cret@a:7000,b:7001,[::1]:7002'),
      {
        nodes: [
          { host: 'a', port: 7000 },
          { host: 'b', port: 7001 },
          { host: '::1', port: 7002 },
        ],
        options: { username: 'app', password: 's@cret', tls: {} },
      },
    );
  });

  it('names the variable and the expected form when an entry is not host:port', () => {
    assert.throws(
      () => parseClusterNodes('a:7000,b'),
      (err: Error) =>
        err instanceof RedisTargetError &&
        /REDIS_CLUSTER_NODES entry "b" is not host:port: expected host:port,host:port/.test(
          err.message,
        ),
    );
    assert.throws(
      () => parseClusterNodes(' , '),
      /REDIS_CLUSTER_NODES is empty/,
    );
    assert.throws(
      () => parseClusterNodes('a:70000'),
      /"a:70000" is not host:port/,
    );
  });
});

describe(createRedis.name, () => {
  it('makes a Cluster client for a cluster and a Redis client otherwise, without connecting', () => {
    const cluster = createRedis(
      redisTarget({ REDIS_URL: 'redis://x:1', REDIS_CLUSTER_NODES: 'a:1' }),
      { lazyConnect: true },
      { retryDelayMs: 100 },
    );
    const single = createRedis(
      redisTarget({ REDIS_URL: 'redis://x:1' }),
      { lazyConnect: true },
      {},
    );
    assert.ok(cluster instanceof Cluster);
    assert.ok(single instanceof Redis);
    cluster.disconnect();
    single.disconnect();
  });
});
