import { describe } from 'node:test';

import { GatewayProcess } from './gateway-process';
import { TestRedisCluster } from './redis-cluster';
import { TestRedis } from './redis-server';

export type ChatStoreName = 'standalone' | 'cluster';

/** A running Redis set-up for one test file: gateways started through it use it. */
export interface ChatStore {
  readonly name: ChatStoreName;
  /** The environment that points a gateway at this store (REDIS_URL, or REDIS_CLUSTER_NODES). */
  readonly env: Record<string, string>;
  /** A gateway on this store; `env` adds to (or overrides) the store's. */
  gateway(
    env?: Record<string, string>,
    args?: string[],
  ): Promise<GatewayProcess>;
  /** The one redis-server of a standalone store (to restart or crash it); undefined on a cluster. */
  readonly redis?: TestRedis;
  /** The nodes of a cluster store (to fail one over); undefined on a standalone store. */
  readonly cluster?: TestRedisCluster;
  stop(): Promise<void>;
}

export interface ChatStoreKind {
  readonly name: ChatStoreName;
  /**
   * Starts a private store of this kind: one redis-server, or the 3 + 3 loopback cluster; `args` are
   * added to each redis-server's (e.g. `--enable-debug-command local`).
   */
  start(args?: string[]): Promise<ChatStore>;
}

const STANDALONE: ChatStoreKind = {
  name: 'standalone',
  async start(args: string[] = []): Promise<ChatStore> {
    const redis = await TestRedis.start(args);
    return {
      ...storeOf('standalone', { REDIS_URL: redis.url }, () => redis.stop()),
      redis,
    };
  },
};

const CLUSTER: ChatStoreKind = {
  name: 'cluster',
  async start(args: string[] = []): Promise<ChatStore> {
    const cluster = await TestRedisCluster.start({ args });
    return {
      ...storeOf(
        'cluster',
        {
          // A REDIS_URL that answers nothing: the gateway must take the cluster from REDIS_CLUSTER_NODES.
          REDIS_URL: 'redis://127.0.0.1:1',
          REDIS_CLUSTER_NODES: cluster.nodesSetting,
        },
        () => cluster.stop(),
      ),
      cluster,
    };
  },
};

/**
 * The Redis set-ups a suite runs against: `describe` once per kind. `CHAT_STORES=standalone` (or
 * `cluster`) narrows the list, so CI can run the two as separate jobs.
 */
export function chatStores(): ChatStoreKind[] {
  const wanted = (process.env.CHAT_STORES ?? 'standalone,cluster')
    .split(',')
    .map((name) => name.trim());
  const unknown = wanted.filter(
    (name) => name !== 'standalone' && name !== 'cluster',
  );
  if (unknown.length > 0)
    throw new Error(
      `CHAT_STORES=${process.env.CHAT_STORES}: use standalone, cluster or both, comma-separated`,
    );
  return [STANDALONE, CLUSTER].filter((kind) => wanted.includes(kind.name));
}

/** `describe` once per store kind of `chatStores()`, named `<name> (<kind>)`. */
export function describeStores(
  name: string,
  body: (kind: ChatStoreKind) => void,
): void {
  for (const kind of chatStores())
    describe(`${name} (${kind.name})`, () => body(kind));
}

function storeOf(
  name: ChatStoreName,
  env: Record<string, string>,
  stop: () => Promise<void>,
): ChatStore {
  return {
    name,
    env,
    gateway: (extra = {}, args = []) =>
      GatewayProcess.start(env.REDIS_URL, { ...env, ...extra }, args),
    stop,
  };
}
