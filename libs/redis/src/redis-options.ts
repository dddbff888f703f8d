import type { RedisOptions } from 'ioredis';

/** ioredis options for a `redis://` or `rediss://` URL (user, password and database included). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    db,
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
  };
}

/**
 * The URL without its password, for messages and logs. Whatever stands between `://` (or the start)
 * and the last `@` past a `:` is hidden, even in a URL too broken to parse.
 */
export function redactRedisUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  const userInfo = url.slice(scheme.length, at);
  const colon = userInfo.indexOf(':');
  return `${scheme}${colon < 0 ? '***' : `${userInfo.slice(0, colon)}:***`}@${url.slice(at + 1)}`;
}
