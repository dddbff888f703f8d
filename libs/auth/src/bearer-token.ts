import type { IncomingHttpHeaders } from 'node:http';

/**
 * The token of `Authorization: Bearer <token>`; given the request `url`, also that of `?token=`, for
 * browsers, which cannot set headers on a WebSocket.
 */
export function bearerToken(
  headers: IncomingHttpHeaders,
  url?: string,
): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '');
  if (match) return match[1];
  if (url === undefined) return undefined;
  try {
    return (
      new URL(url, 'https://localhost').searchParams.get('token') || undefined
    );
  } catch {
    return undefined;
  }
}
