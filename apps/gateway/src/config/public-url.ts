import { isIPv6 } from 'node:net';

/** Listening on every address is no address a client can use: the loopback one is the honest default. */
const UNSPECIFIED: Record<string, string> = {
  '0.0.0.0': '127.0.0.1',
  '::': '::1',
};

/** Where clients reach this instance: PUBLIC_URL, else `https://HOST:PORT` with the port actually bound. */
export function publicUrl(
  settings: { HOST: string; PUBLIC_URL?: string },
  boundPort: number,
): string {
  if (settings.PUBLIC_URL) return settings.PUBLIC_URL.replace(/\/+$/, '');
  const host = UNSPECIFIED[settings.HOST] ?? settings.HOST;
  return `https://${isIPv6(host) ? `[${host}]` : host}:${boundPort}`;
}
