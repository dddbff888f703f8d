import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Redis from 'ioredis';

import { redactRedisUrl, redisOptionsFromUrl } from '@app/redis';

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

/** One clear line, not a stack trace, when Redis is not there at start. */
export async function assertRedisReachable(url: string): Promise<void> {
  const redis = new Redis({
    ...redisOptionsFromUrl(url),
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new BootError(
      `Cannot reach Redis at ${redactRedisUrl(url)} (${reason}): start it with "redis-server" or set REDIS_URL to a running Redis`,
    );
  } finally {
    redis.disconnect();
  }
}
