import Redis from 'ioredis';

import { httpsText } from '../support/https-text';
import { sleep } from '../support/ports';

import { StormCluster } from './storm-cluster';
import { CrowdOptions, StormCrowd } from './storm-crowd';
import { Ledger, LedgerCheck } from './storm-ledger';

export interface SoakOptions extends CrowdOptions {
  minutes: number;
  /** Clients that disconnect each second (each comes back after a backoff and resumes). */
  churnPerSecond: number;
  log?: (line: string) => void;
}

export interface GatewaySample {
  rssMiB: number[];
  eventLoopP99Ms: number[];
}

export interface RedisSample {
  keys: number;
  usedMemoryMiB: number;
  /** The data (used_memory_dataset: keys and values, no client buffers), the history streams deleted (see `idleRedis`). */
  nonHistoryMiB: number;
  /** Keys and hash entries that belong to open sessions (online users, room members, instance session lists). */
  sessionEntries: number;
  /** Keys per family (`chat:{r}:history`, `chat:{u}:cid`, ...) and their bytes (MEMORY USAGE). */
  families: Record<string, { keys: number; bytes: number }>;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  reconnects: number;
  gateways: { start: GatewaySample; end: GatewaySample };
  redis: { start: RedisSample; end: RedisSample };
  check: LedgerCheck;
}

/** Limits that keep the stored history and client message ids from growing over a long soak. */
const WARMUP_MS = 10000;

const SOAK_ENV = {
  CID_TTL_SECONDS: '10',
  HISTORY_MAX_PER_ROOM: '1000',
  HISTORY_MAX_DMS_PER_USER: '1000',
};

/**
 * Churn and chat for `minutes` on three gateways behind haproxy: gateway RSS and event-loop delay with the
 * clients connected at the start and at the end; Redis keys and memory before any client connected and
 * after every client left (ended sessions must leave nothing behind).
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const cluster = await StormCluster.start(3, SOAK_ENV);
  const redis = new Redis(cluster.redis.url, { lazyConnect: true });
  let crowd: StormCrowd | undefined;
  let churn: NodeJS.Timeout | undefined;
  try {
    await redis.connect();
    crowd = await StormCrowd.login(cluster.haproxy.port, options);
    // A short first round warms Redis up (scripts, pub/sub, allocator pools), so the baseline is an idle cluster that has chatted.
    await crowd.connectAll();
    crowd.startLoad();
    await sleep(WARMUP_MS);
    await idleRedis(redis, crowd);
    const redisStart = await redisSample(redis);
    await crowd.connectAll();
    const readyBefore = crowd.readyAt.length;
    crowd.startLoad();
    await sleep(2000);
    const gatewayStart = await gatewaySample(cluster);
    log(
      `${options.clients} clients connected; ${options.rate} sends/s and ${options.churnPerSecond} disconnects/s for ${options.minutes} min`,
    );
    churn = setInterval(() => {
      for (let i = 0; i < options.churnPerSecond; i++) {
        const client = crowd!.random();
        if (client.ready) client.drop();
      }
    }, 1000);
    await sleep(options.minutes * 60000);
    clearInterval(churn);
    await crowd.allReady(30000);
    const gatewayEnd = await gatewaySample(cluster);
    const reconnects = crowd.readyAt.length - readyBefore;
    const check = await idleRedis(redis, crowd);
    return {
      options: {
        clients: options.clients,
        rate: options.rate,
        roomSize: options.roomSize,
        clientsPerUser: options.clientsPerUser,
        minutes: options.minutes,
        churnPerSecond: options.churnPerSecond,
      },
      reconnects,
      gateways: { start: gatewayStart, end: gatewayEnd },
      redis: { start: redisStart, end: await redisSample(redis) },
      check,
    };
  } finally {
    clearInterval(churn);
    crowd?.close();
    redis.disconnect();
    await cluster.stop();
  }
}

/**
 * Stops the load, checks every delivery, disconnects everyone, waits until their sessions are gone from
 * Redis and their client message ids expired, then deletes the history streams (which grow with chat up
 * to their caps): what is left is what the sessions leave behind.
 */
async function idleRedis(
  redis: Redis,
  crowd: StormCrowd,
): Promise<LedgerCheck> {
  crowd.stopLoad();
  const ledger = new Ledger(crowd.clients);
  await ledger.settle(30000);
  crowd.close();
  for (const deadline = Date.now() + 20000; Date.now() < deadline;) {
    if ((await redisSample(redis)).sessionEntries === 0) break;
    await sleep(200);
  }
  await sleep(Number(SOAK_ENV.CID_TTL_SECONDS) * 1000 + 1000);
  for (const pattern of [
    'chat:{r:*}:history',
    'chat:{u:*}:inbox',
    'chat:{u:*}:said',
    'chat:{u:*}:with:*',
  ]) {
    const history = await redis.keys(pattern);
    for (const key of history) await redis.del(key);
  }
  return ledger.check();
}

async function gatewaySample(cluster: StormCluster): Promise<GatewaySample> {
  const sample: GatewaySample = { rssMiB: [], eventLoopP99Ms: [] };
  for (const gateway of cluster.gateways) {
    if (!gateway) continue;
    const { text } = await httpsText(gateway.port, '/metrics');
    const metric = (name: string): number =>
      Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);
    sample.rssMiB.push(
      round(metric('process_resident_memory_bytes') / 2 ** 20),
    );
    sample.eventLoopP99Ms.push(
      round(metric('nodejs_eventloop_lag_p99_seconds') * 1000),
    );
  }
  return sample;
}

async function redisSample(redis: Redis): Promise<RedisSample> {
  const keys = await redis.dbsize();
  const info = await redis.info('memory');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  let sessionEntries = 0;
  const families: RedisSample['families'] = {};
  for (const key of await redis.keys('*')) {
    const bytes = Number(await redis.memory('USAGE', key, 'SAMPLES', 0)) || 0;
    // A tagged key's family leaves out its room or user: `chat:{u}:inbox`.
    const family = key
      .replace(/\{(\w+):[^}]*\}/, '{$1}')
      .split(':')
      .slice(0, 3)
      .join(':');
    families[family] ??= { keys: 0, bytes: 0 };
    families[family].keys++;
    families[family].bytes += bytes;
    if (
      /^chat:\{[rua]:.*\}:sessions$/.test(key) ||
      /^chat:\{r:.*\}:users$/.test(key) ||
      /^chat:\{i:.*\}:sessions$/.test(key)
    )
      sessionEntries += await redis.hlen(key);
  }
  return {
    keys,
    usedMemoryMiB: round(field('used_memory') / 2 ** 20),
    nonHistoryMiB: round(field('used_memory_dataset') / 2 ** 20),
    sessionEntries,
    families,
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;
