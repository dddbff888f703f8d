import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis, { Cluster } from 'ioredis';

import { keySlot } from './key-slot';
import { REDIS } from './redis.constants';
import {
  isCluster,
  masterConnections,
  nodeKey,
  RedisClient,
} from './redis-connection';

export interface ReplicaAck {
  /** Replicas asked for (REDIS_STORE_WAIT_REPLICAS); 0 means nothing was waited for. */
  required: number;
  /** Replicas that acknowledged the store within REDIS_STORE_WAIT_MS. */
  acknowledged: number;
  /** True when at least `required` replicas hold the store. */
  ok: boolean;
}

/**
 * After a store, `WAIT n ms` on the connection that wrote it: the master holding the key's slot on a
 * cluster (WAIT counts the writes of the connection it is sent on), the one connection on a standalone
 * Redis. It narrows the window in which a master crash loses an acknowledged message; it does not make
 * replication synchronous (a replica that acknowledged may still lose the write in a later failover).
 */
export async function waitForReplicas(
  redis: RedisClient,
  key: string,
  replicas: number,
  timeoutMs: number,
): Promise<ReplicaAck> {
  if (replicas <= 0) return { required: 0, acknowledged: 0, ok: true };
  // WAIT holds its connection, and every command queued behind it (other stores, probes, heartbeats),
  // for the whole timeout when the master has too few replicas (its own was promoted or died and is not
  // replaced yet): answer at once that the store is not replicated instead.
  // The map is read again (coalesced by ioredis), in case it missed a replica that joined since.
  if (isCluster(redis) && knownReplicas(redis, key) < replicas) {
    redis.refreshSlotsCache();
    return { required: replicas, acknowledged: 0, ok: false };
  }
  const acknowledged = await masterOf(redis, key).wait(replicas, timeoutMs);
  return { required: replicas, acknowledged, ok: acknowledged >= replicas };
}

/* The replicas the slot map lists for the key's slot (refreshed after a failover, and every few seconds). */
function knownReplicas(redis: Cluster, key: string): number {
  return Math.max(0, (redis.slots[keySlot(key)]?.length ?? 1) - 1);
}

function masterOf(redis: RedisClient, key: string): Redis {
  if (!isCluster(redis)) return redis;
  const owner = redis.slots[keySlot(key)]?.[0];
  const master = masterConnections(redis).find(
    (node) => nodeKey(node) === owner,
  );
  if (!master)
    throw new Error(
      `No known master serves the slot of ${key} (the cluster's slot map is being refreshed): try again`,
    );
  return master;
}

/** `waitForReplicas` with REDIS_STORE_WAIT_REPLICAS and REDIS_STORE_WAIT_MS: stores call it after writing. */
@Injectable()
export class ReplicaWait {
  private readonly replicas: number;
  private readonly timeoutMs: number;
  private unreplicatedStores = 0;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    config: ConfigService,
  ) {
    this.replicas = config.get<number>('REDIS_STORE_WAIT_REPLICAS') ?? 0;
    this.timeoutMs = config.get<number>('REDIS_STORE_WAIT_MS') ?? 100;
  }

  /** Stores answered although fewer replicas than REDIS_STORE_WAIT_REPLICAS acknowledged them in time. */
  get unreplicated(): number {
    return this.unreplicatedStores;
  }

  async afterStore(key: string): Promise<ReplicaAck> {
    const ack = await waitForReplicas(
      this.redis,
      key,
      this.replicas,
      this.timeoutMs,
    );
    if (!ack.ok) this.unreplicatedStores++;
    return ack;
  }
}
