import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  BaseRpcContext,
  CustomTransportStrategy,
  Server,
} from '@nestjs/microservices';
import Redis from 'ioredis';

import {
  isCluster,
  keySlot,
  masterConnections,
  nodeKey,
  REDIS,
  RedisClient,
} from '@app/redis';

/** Event kinds counted per instance (`chat_bus_events_received_total{kind}`). */
export const BUS_EVENT_KINDS = [
  'message',
  'dm',
  'said',
  'presence',
  'control',
  'probe',
] as const;
export type BusEventKind = (typeof BUS_EVENT_KINDS)[number];

/** `again`: the channel was active before in this interest (a re-subscription after a drop, a failover, a move). */
export type ChannelReadyListener = (channel: string, again: boolean) => void;

/** The context of one bus event: the shard channel it came on. */
export class BusContext extends BaseRpcContext<[string]> {
  get channel(): string {
    return this.args[0];
  }
}

/** A bus event's handler: its parsed body and context in, settled when it is handled. */
export type BusHandler = (
  data: unknown,
  context: BusContext,
) => Promise<unknown>;

/** The standalone Redis serves every slot from one node. */
const STANDALONE = 'standalone';
const KIND_PREFIX = '{"k":"';

/** One subscriber connection to one master (the only one on a standalone Redis) and the channels routed to it. */
interface Shard {
  key: string;
  connection: Redis;
  /** Channels whose slot this master serves, as far as the last slot map knows. */
  channels: Set<string>;
  /** Channels whose SSUBSCRIBE this connection acknowledged since it last connected. */
  active: Set<string>;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The bus's Nest transport: shard channels (SSUBSCRIBE, on a standalone Redis 7 as on a cluster)
 * subscribed at run time while someone here needs them (ref-counted), each event routed by its `"k"`
 * field to the `@EventPattern` handler of that name. It keeps one subscriber connection per master,
 * moves channels when slots move (a failover, a resharding, an unsolicited SUNSUBSCRIBE), subscribes
 * again after every reconnect, and tells `onChannelReady` listeners each time a channel's subscription
 * is (re)established, so delivery can fill from history what passed while it was not.
 */
@Injectable()
export class BusServer
  extends Server
  implements CustomTransportStrategy, OnApplicationShutdown
{
  private readonly quiet = new Logger('ChatBus');
  private readonly wanted = new Map<string, number>();
  private readonly shardOf = new Map<string, Shard>();
  private readonly shards = new Map<string, Shard>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** Wanted channels that were active at some point since the interest began. */
  private readonly wasActive = new Set<string>();
  private readonly readyListeners: ChannelReadyListener[] = [];
  private readonly releasedListeners: Array<(channel: string) => void> = [];
  private readonly routes = new Map<string, BusHandler | null>();
  private direct?: (pattern: string) => BusHandler | undefined;
  private readonly counts: Record<BusEventKind, number> = {
    message: 0,
    dm: 0,
    said: 0,
    presence: 0,
    control: 0,
    probe: 0,
  };
  private readonly subscribeTimeoutMs: number;
  private readonly retryDelayMs: number;
  private rebalanceTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    config: ConfigService,
  ) {
    super();
    this.subscribeTimeoutMs = config.getOrThrow<number>(
      'REDIS_COMMAND_TIMEOUT_MS',
    );
    this.retryDelayMs = config.getOrThrow<number>('REDIS_RETRY_DELAY_MS');
    // The client refreshes its slot map now and then and after each MOVED: a slot may have left a master
    // without that master telling its subscribers.
    if (isCluster(redis)) redis.on('refresh', () => this.place());
  }

  listen(callback: () => void): void {
    callback();
  }

  /**
   * Handlers that answer patterns directly (the app builds them once from its `@EventPattern` metadata);
   * a pattern they do not answer goes to the handler Nest registered for it.
   */
  routeWith(lookup: (pattern: string) => BusHandler | undefined): void {
    this.direct = lookup;
    this.routes.clear();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.rebalanceTimer);
    this.shards.forEach((shard) => shard.connection.disconnect());
    this.shards.clear();
    this.shardOf.clear();
    this.waiters.forEach((waiting) =>
      waiting.forEach((w) => w.reject(new Error('The bus is closed'))),
    );
    this.waiters.clear();
  }

  onApplicationShutdown(): void {
    this.close();
  }

  on(): void {
    throw new Error('The chat bus transport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.shards as T;
  }

  /**
   * Adds one interest in `channel`; the first one subscribes. Resolves once the subscription is active
   * (at once if it already is), so a caller that reads history afterwards misses nothing in between.
   */
  subscribe(channel: string): Promise<void> {
    const count = this.wanted.get(channel) ?? 0;
    this.wanted.set(channel, count + 1);
    if (count === 0) this.assign(channel);
    return this.whenActive(channel);
  }

  /** Drops one interest in `channel`; the last one unsubscribes. */
  unsubscribe(channel: string): void {
    const count = this.wanted.get(channel) ?? 0;
    if (count > 1) {
      this.wanted.set(channel, count - 1);
      return;
    }
    this.wanted.delete(channel);
    this.wasActive.delete(channel);
    this.release(channel);
    this.waiters.get(channel)?.forEach((w) => w.resolve());
    this.waiters.delete(channel);
    this.releasedListeners.forEach((listener) => listener(channel));
  }

  onChannelReady(listener: ChannelReadyListener): void {
    this.readyListeners.push(listener);
  }

  /** `listener` runs when the last interest in a channel is dropped (its streams are no longer heard here). */
  onChannelReleased(listener: (channel: string) => void): void {
    this.releasedListeners.push(listener);
  }

  /** The channels subscribed now (acknowledged), by master (`host:port`, or `standalone`). */
  subscriptions(): Map<string, string[]> {
    return new Map(
      [...this.shards.values()].map((shard) => [shard.key, [...shard.active]]),
    );
  }

  isActive(channel: string): boolean {
    return this.shardOf.get(channel)?.active.has(channel) ?? false;
  }

  /** Events received since start, by kind. */
  received(): Readonly<Record<BusEventKind, number>> {
    return this.counts;
  }

  /** The master (`host:port`, or `standalone`) that serves `channel`'s slot, by the client's slot map. */
  masterOf(channel: string): string | undefined {
    if (!isCluster(this.redis)) return STANDALONE;
    return this.redis.slots[keySlot(channel)]?.[0];
  }

  /** The masters by the client's slot map (one, `standalone`, on a standalone Redis). */
  masters(): string[] {
    if (!isCluster(this.redis)) return [STANDALONE];
    return masterConnections(this.redis).map(nodeKey);
  }

  /**
   * Drops the subscriber connection of the master serving `channel` and subscribes all its channels again
   * on a new one: the repair for a subscription that went silent without the connection noticing.
   */
  resubscribeShardOf(channel: string): void {
    const shard = this.shardOf.get(channel);
    if (!shard || this.closed) return;
    this.quiet.warn(
      `Resubscribing the ${shard.channels.size} channel(s) of ${shard.key === STANDALONE ? 'the bus' : `master ${shard.key}`}`,
    );
    this.drop(shard);
    const channels = [...shard.channels];
    channels.forEach((ch) => this.shardOf.delete(ch));
    channels.forEach((ch) => this.assign(ch));
  }

  private assign(channel: string): void {
    if (this.closed) return;
    const key = this.masterOf(channel);
    if (!key) {
      this.scheduleRebalance();
      return;
    }
    const shard = this.shards.get(key) ?? this.open(key);
    if (!shard) {
      this.scheduleRebalance();
      return;
    }
    shard.channels.add(channel);
    this.shardOf.set(channel, shard);
    if (shard.connection.status === 'ready') this.ssubscribe(shard, channel);
  }

  private release(channel: string): void {
    const shard = this.shardOf.get(channel);
    this.shardOf.delete(channel);
    if (!shard) return;
    shard.channels.delete(channel);
    const wasActive = shard.active.delete(channel);
    if (wasActive && shard.connection.status === 'ready')
      shard.connection.sunsubscribe(channel).catch(() => undefined);
    if (shard.channels.size === 0 && shard.key !== STANDALONE) this.drop(shard);
  }

  private drop(shard: Shard): void {
    this.shards.delete(shard.key);
    shard.connection.removeAllListeners();
    shard.connection.on('error', () => undefined);
    shard.connection.disconnect();
  }

  private open(key: string): Shard | undefined {
    const base = isCluster(this.redis)
      ? masterConnections(this.redis).find((node) => nodeKey(node) === key)
      : this.redis;
    if (!base) return undefined;
    const connection = new Redis({
      ...base.options,
      connectionName: 'chat-bus',
      lazyConnect: true,
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      retryStrategy: (times: number) =>
        Math.min(times * 200, this.retryDelayMs),
    });
    const shard: Shard = {
      key,
      connection,
      channels: new Set(),
      active: new Set(),
    };
    connection.on('smessage', (channel: string, body: string) =>
      this.route(channel, body),
    );
    connection.on('ready', () => {
      shard.active.clear();
      shard.channels.forEach((channel) => this.ssubscribe(shard, channel));
    });
    connection.on('close', () => {
      shard.active.clear();
      if (isCluster(this.redis)) this.scheduleRebalance();
    });
    // An unsolicited SUNSUBSCRIBE (the slot left this master) or a MOVED reply to SSUBSCRIBE.
    connection.on('moved', () => this.scheduleRebalance());
    connection.on('error', (err: Error) =>
      this.quiet.debug(`Bus connection to ${key}: ${err.message}`),
    );
    this.shards.set(key, shard);
    connection.connect().catch(() => undefined);
    return shard;
  }

  private ssubscribe(shard: Shard, channel: string): void {
    const { connection } = shard;
    connection.ssubscribe(channel).then(
      () => {
        if (this.shards.get(shard.key) !== shard) return;
        if (!shard.channels.has(channel) || connection.status !== 'ready')
          return;
        shard.active.add(channel);
        this.ready(channel);
      },
      (err: Error) => {
        this.quiet.debug(`SSUBSCRIBE ${channel} failed: ${err.message}`);
        if (/^MOVED |^CLUSTERDOWN /.test(err.message)) this.scheduleRebalance();
      },
    );
  }

  private ready(channel: string): void {
    this.waiters.get(channel)?.forEach((w) => w.resolve());
    this.waiters.delete(channel);
    const again = this.wasActive.has(channel);
    this.wasActive.add(channel);
    for (const listener of this.readyListeners) {
      try {
        listener(channel, again);
      } catch (err) {
        this.quiet.error(
          `A channel-ready listener failed: ${(err as Error).message}`,
        );
      }
    }
  }

  private whenActive(channel: string): Promise<void> {
    if (this.isActive(channel)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiting = this.waiters.get(channel) ?? [];
        const i = waiting.indexOf(waiter);
        if (i >= 0) waiting.splice(i, 1);
        reject(
          Object.assign(
            new Error(
              `Command timed out: the bus could not subscribe to ${channel} within ${this.subscribeTimeoutMs} ms (REDIS_COMMAND_TIMEOUT_MS)`,
            ),
            { code: 'ETIMEDOUT' },
          ),
        );
      }, this.subscribeTimeoutMs);
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const waiting = this.waiters.get(channel) ?? [];
      waiting.push(waiter);
      this.waiters.set(channel, waiting);
    });
  }

  /** After slots moved: every wanted channel goes to the master serving its slot now. */
  private scheduleRebalance(): void {
    if (this.rebalanceTimer || this.closed || !isCluster(this.redis)) return;
    this.rebalanceTimer = setTimeout(() => void this.rebalance(), 200);
  }

  private async rebalance(): Promise<void> {
    const cluster = this.redis;
    if (!isCluster(cluster)) return;
    await new Promise<void>((resolve) =>
      cluster.refreshSlotsCache(() => resolve()),
    );
    this.rebalanceTimer = undefined;
    if (this.closed) return;
    this.place();
    // Until the cluster settles, a shard may still point at a master that is gone: look again.
    const settling = [...this.shards.values()].some(
      (shard) => shard.connection.status !== 'ready',
    );
    if (settling) this.scheduleRebalance();
  }

  /** Moves every wanted channel whose slot another master serves now (by the client's slot map). */
  private place(): void {
    if (this.closed) return;
    for (const channel of this.wanted.keys()) {
      const target = this.masterOf(channel);
      const current = this.shardOf.get(channel);
      if (current && current.key === target) continue;
      this.release(channel);
      this.assign(channel);
    }
  }

  private route(channel: string, body: string): void {
    const kind = body.startsWith(KIND_PREFIX)
      ? body.slice(KIND_PREFIX.length, body.indexOf('"', KIND_PREFIX.length))
      : '';
    this.count(kind);
    let handler = this.routes.get(kind);
    if (handler === undefined) {
      handler = this.direct?.(kind) ?? this.getHandlerByPattern(kind);
      this.routes.set(kind, handler);
    }
    if (!handler) {
      this.quiet.debug(`No handler for bus event "${kind}" on ${channel}`);
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      this.quiet.warn(`Dropped a bus event on ${channel} that is not JSON`);
      return;
    }
    handler(data, new BusContext([channel])).catch((err: Error) =>
      this.quiet.error(
        `Bus event "${kind}" on ${channel} failed: ${err.message}`,
      ),
    );
  }

  private count(kind: string): void {
    if (kind in this.counts) this.counts[kind as BusEventKind]++;
    else this.counts.control++;
  }
}
