import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';

import { redactRedisUrl, redisOptionsFromUrl } from './redis-options';

/** A standalone Redis or a Redis Cluster: every user of the `REDIS` provider works with both. */
export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server (`REDIS_URL`) or a cluster's seed nodes (`REDIS_CLUSTER_NODES`, which wins). */
export interface RedisTarget {
  /** The cluster's seed nodes; undefined for a standalone Redis. */
  nodes?: RedisNode[];
  /** Credentials and TLS (and for a standalone Redis its address and database). */
  options: RedisOptions;
  /** For messages: the URL or the nodes, without a password. */
  label: string;
}

export class RedisTargetError extends Error {}

const NODE = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+):(\d{1,5})$/i;

/** The expected form of REDIS_CLUSTER_NODES, for error messages and the settings check. */
export const CLUSTER_NODES_FORM =
  'host:port,host:port,... (or redis:// / rediss:// URLs, whose user, password and TLS apply to every node)';

/** Every entry of REDIS_CLUSTER_NODES, or the reason it is not of the expected form. */
export function parseClusterNodes(value: string): {
  nodes: RedisNode[];
  options: RedisOptions;
} {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new RedisTargetError(
      `REDIS_CLUSTER_NODES is empty: expected ${CLUSTER_NODES_FORM}`,
    );
  let options: RedisOptions = {};
  const nodes = entries.map((entry) => {
    if (/^rediss?:\/\//.test(entry)) {
      const { host, port, db: _db, ...rest } = redisOptionsFromUrl(entry);
      if (Object.keys(options).length === 0) options = rest;
      return { host: host ?? '127.0.0.1', port: port ?? 6379 };
    }
    const match = NODE.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535)
      throw new RedisTargetError(
        `REDIS_CLUSTER_NODES entry "${redactRedisUrl(entry)}" is not host:port: expected ${CLUSTER_NODES_FORM}`,
      );
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
  return { nodes, options };
}

export function redisTarget(settings: {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string;
}): RedisTarget {
  if (settings.REDIS_CLUSTER_NODES) {
    const { nodes, options } = parseClusterNodes(settings.REDIS_CLUSTER_NODES);
    return {
      nodes,
      options,
      label: `the Redis Cluster at ${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    };
  }
  return {
    options: redisOptionsFromUrl(settings.REDIS_URL),
    label: `Redis at ${redactRedisUrl(settings.REDIS_URL)}`,
  };
}

/** Settings of a Cluster client (used only when the target is a cluster). */
export interface ClusterTuning {
  /** Pause between attempts to reach the cluster at all; undefined: give up at once (boot checks). */
  retryDelayMs?: number;
}

/**
 * One connection (standalone) or one Cluster client, with `options` for every node connection. On a
 * cluster, ioredis holds one connection per node, follows MOVED/ASK, and refreshes the slot map.
 */
export function createRedis(
  target: RedisTarget,
  options: RedisOptions,
  tuning: ClusterTuning,
): RedisClient {
  if (!target.nodes) return new Redis({ ...target.options, ...options });
  const {
    retryStrategy: _standalone,
    enableOfflineQueue: _offline,
    lazyConnect,
    ...nodeOptions
  } = options;
  const cluster: ClusterOptions = {
    redisOptions: { ...target.options, ...nodeOptions },
    lazyConnect,
    enableReadyCheck: true,
    scaleReads: 'master',
    // A failover takes the cluster about its node timeout to settle; retry often until then.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    clusterRetryStrategy: (times) =>
      tuning.retryDelayMs === undefined
        ? null
        : Math.min(times * 200, tuning.retryDelayMs),
    slotsRefreshTimeout: 2000,
    // ioredis re-reads the slot map only on errors and redirects; a replica that joins a master (a lost
    // master rejoining) is seen within this, so a store waiting for replicas (ReplicaWait) finds it.
    slotsRefreshInterval: 5000,
  };
  return new Cluster(target.nodes, cluster);
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The connection to each master: one for a standalone Redis. For commands that concern the whole data set
 * (CONFIG, INFO, WAIT of a key's master), which a Cluster client would send to one node chosen at random.
 */
export function masterConnections(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** `host:port` of a node connection: how the Cluster client names nodes in its slot map. */
export function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}
