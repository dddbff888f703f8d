import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { AuthKeys } from '@app/auth';
import {
  createRedis,
  isCluster,
  RedisClient,
  RedisTarget,
  redisTarget,
  RedisTargetError,
} from '@app/redis';

import { Settings } from './config/settings';

export class BootError extends Error {}

const DEFAULT_CERT = 'certs/server.crt';
const DEFAULT_KEY = 'certs/server.key';

/** The project folder (where `npm run certs` writes the development certificate), if this runs from it. */
function repoRoot(from = __dirname): string | undefined {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'certs.js'))) return dir;
  }
  return undefined;
}

/**
 * The certificate and key. The server never makes one: `npm run certs` (and `npm start`) create the
 * self-signed development certificate. The default paths are read from the project folder when the
 * server was started from elsewhere.
 */
export function loadTls(settings: Settings): { cert: Buffer; key: Buffer } {
  let certPath = resolve(settings.TLS_CERT);
  let keyPath = resolve(settings.TLS_KEY);
  const defaults =
    settings.TLS_CERT === DEFAULT_CERT && settings.TLS_KEY === DEFAULT_KEY;
  const root = repoRoot();
  if (defaults && root && !(existsSync(certPath) && existsSync(keyPath))) {
    certPath = join(root, DEFAULT_CERT);
    keyPath = join(root, DEFAULT_KEY);
  }
  const read = (path: string, setting: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new BootError(
        `${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code}); run "npm run certs" for the development certificate, or point ${setting} at a PEM file`,
      );
    }
  };
  return { cert: read(certPath, 'TLS_CERT'), key: read(keyPath, 'TLS_KEY') };
}

type RedisSettings = Pick<Settings, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>;

/** Where Redis is, or a BootError naming the setting that is wrong. */
export function bootTarget(settings: RedisSettings): RedisTarget {
  try {
    return redisTarget(settings);
  } catch (err) {
    if (err instanceof RedisTargetError) throw new BootError(err.message);
    throw err;
  }
}

/** A connection for a check at start: no retries, so a missing Redis fails at once. */
function bootRedis(settings: RedisSettings): RedisClient {
  const redis = createRedis(
    bootTarget(settings),
    {
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    },
    {},
  );
  redis.on('error', () => undefined);
  return redis;
}

/** One clear line, not a stack trace, when Redis (or the cluster, all slots served) is not there at start. */
export async function assertRedisReachable(
  settings: RedisSettings,
): Promise<void> {
  const target = bootTarget(settings);
  const redis = bootRedis(settings);
  try {
    await redis.connect();
    await redis.ping();
    if (isCluster(redis)) {
      const info = await redis.cluster('INFO');
      if (!/cluster_state:ok/.test(info))
        throw new Error('cluster_state is not ok: some slots are not served');
    }
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const fix = target.nodes
      ? 'check that REDIS_CLUSTER_NODES names nodes of a running Redis Cluster (redis-cli --cluster check host:port)'
      : 'start it with "redis-server" or set REDIS_URL to a running Redis';
    throw new BootError(`Cannot reach ${target.label} (${reason}): ${fix}`);
  } finally {
    redis.disconnect();
  }
}

/**
 * Rules that must be the same on every instance: one instance with a laxer value would open to every
 * client what the others close (a client picks the instance).
 */
export const CLUSTER_SETTINGS = [
  'REGISTRATION',
  'PASSWORD_MIN_LENGTH',
  'MAX_SESSIONS_PER_USER',
  'LOGIN_MAX_FAILURES_PER_ACCOUNT',
  'REGISTRATIONS_PER_HOUR',
  'MAX_FOLLOWS_PER_USER',
  'ROOMS_CREATED_PER_HOUR',
] as const satisfies ReadonlyArray<keyof Settings>;

/**
 * The first instance records the cluster's values of `CLUSTER_SETTINGS` in Redis; an instance started
 * with another value stops, naming the setting, both values and how to change it for the whole cluster.
 */
export async function assertClusterSettings(settings: Settings): Promise<void> {
  const redis = bootRedis(settings);
  const key = AuthKeys.clusterSettings;
  try {
    await redis.connect();
    const mine = CLUSTER_SETTINGS.map((name) => String(settings[name]));
    const pipeline = redis.pipeline();
    CLUSTER_SETTINGS.forEach((name, i) => pipeline.hsetnx(key, name, mine[i]));
    await pipeline.exec();
    const recorded = await redis.hmget(key, ...CLUSTER_SETTINGS);
    const problems = CLUSTER_SETTINGS.flatMap((name, i) =>
      recorded[i] === null || recorded[i] === mine[i]
        ? []
        : [
            `${name} is ${JSON.stringify(mine[i])} here but ${JSON.stringify(recorded[i])} in the cluster (recorded in Redis at ${key} by the first instance): start this instance with ${name}=${recorded[i]}, or change it for the whole cluster with "redis-cli HSET ${key} ${name} ${mine[i]}" and restart every instance with ${name}=${mine[i]}`,
          ],
    );
    if (problems.length > 0)
      throw new BootError(
        `Settings differ from the cluster's: ${problems.join('; ')}`,
      );
  } finally {
    redis.disconnect();
  }
}
