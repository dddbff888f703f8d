import type { IncomingHttpHeaders } from 'node:http';

/** The token of `Authorization: Bearer <token>`. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '');
  return match ? match[1] : undefined;
}

/** What a WebSocket upgrade authenticates with: the header (chat-cli), a ticket (browsers), or nothing usable. */
export type UpgradeCredential =
  | { kind: 'token'; token: string }
  | { kind: 'ticket'; ticket: string }
  | { kind: 'url-token' }
  | { kind: 'none' };

/** The upgrade's credential: the header wins; a `?token=` is recognised only so that it can be refused by name. */
export function upgradeCredential(
  headers: IncomingHttpHeaders,
  url: string,
): UpgradeCredential {
  const token = bearerToken(headers);
  if (token) return { kind: 'token', token };
  let query: URLSearchParams;
  try {
    query = new URL(url, 'https://localhost').searchParams;
  } catch {
    return { kind: 'none' };
  }
  const ticket = query.get('ticket');
  if (ticket) return { kind: 'ticket', ticket };
  return query.has('token') ? { kind: 'url-token' } : { kind: 'none' };
}
