import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import Redis from 'ioredis';

import { redactRedisUrl, redisOptionsFromUrl } from '@app/redis';

import { Settings } from './config/settings';

export class BootError extends Error {}

const DEFAULT_CERT = 'certs/server.crt';
const DEFAULT_KEY = 'certs/server.key';

function repoRoot(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'certs.js'))) return dir;
  }
  throw new BootError(
    'Cannot find the project folder (scripts/certs.js) to create the development certificate',
  );
}

/**
 * The certificate and key. When the defaults are asked for and missing, the self-signed development
 * certificate is created (as `npm run certs` does), so a fresh clone starts with one command.
 */
export async function loadTls(
  settings: Settings,
): Promise<{ cert: Buffer; key: Buffer; created: boolean }> {
  let certPath = resolve(settings.TLS_CERT);
  let keyPath = resolve(settings.TLS_KEY);
  let created = false;
  const defaults =
    settings.TLS_CERT === DEFAULT_CERT && settings.TLS_KEY === DEFAULT_KEY;
  if (defaults && !(existsSync(certPath) && existsSync(keyPath))) {
    const root = repoRoot();
    const certs = createRequire(__filename)(
      join(root, 'scripts', 'certs.js'),
    ) as {
      ensureDevCertificate(dir: string): Promise<boolean>;
    };
    created = await certs.ensureDevCertificate(join(root, 'certs'));
    certPath = join(root, DEFAULT_CERT);
    keyPath = join(root, DEFAULT_KEY);
  }
  const read = (path: string, setting: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new BootError(
        `${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code}); run "npm run certs" or point ${setting} at a PEM file`,
      );
    }
  };
  return {
    cert: read(certPath, 'TLS_CERT'),
    key: read(keyPath, 'TLS_KEY'),
    created,
  };
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
