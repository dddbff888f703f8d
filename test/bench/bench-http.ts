/*
 * The HTTP side that the floor and the Socket.IO peer share: `POST /auth/login` answers `{token}` where the token
 * is the username (no password, no JWT), and `GET /metrics` gives the process's count of bus events received in
 * the gateway's metric name, so the harness scrapes every system the same way.
 */
import { IncomingMessage, ServerResponse } from 'node:http';

export const BUS_EVENTS_METRIC = 'chat_bus_events_received_total';

/** Answers a bench server's plain HTTP requests; `busEvents` is read at each scrape. */
export function benchHttp(
  busEvents: () => number,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${BUS_EVENTS_METRIC} ${busEvents()}\n`);
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const username = (() => {
        try {
          return JSON.parse(body).username;
        } catch {
          return undefined;
        }
      })();
      const ok =
        req.method === 'POST' &&
        req.url === '/auth/login' &&
        typeof username === 'string';
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          ok
            ? { token: username, username, created: false }
            : { message: 'POST /auth/login {"username"} or GET /metrics' },
        ),
      );
    });
  };
}

/** The bearer token of an upgrade request, if any. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ')
    ? header.slice('Bearer '.length)
    : undefined;
}
