/*
 * The benchmark's floor: a bare `ws` + ioredis fan-out server that speaks the same frames as the gateway and does
 * only what delivering them needs. HTTPS + WSS on one TLS port (the development certificate); `POST /auth/login`
 * answers `{token}` where the token is the username (no password, no JWT); `join` moves the socket between local
 * rooms (no shared membership); `send` stamps a cluster-wide id and publishes in one Lua script (INCR + PUBLISH,
 * so ids rise in the order every instance receives them, as in the gateway) and answers `sent`; every instance
 * parses each published event once, JSON.stringify's the `message` frame once and ws.send's it to each local member.
 * Usage: node dist/test/bench/floor-server.js --port 0 --redis redis://127.0.0.1:6379
 */
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { RawData, WebSocket, WebSocketServer } from 'ws';

import {
  ClientEvent,
  ErrorCode,
  LOBBY,
  ServerEvent,
  WS_PATH,
} from '@app/protocol';

const ROOT = join(__dirname, '..', '..', '..');
const CHANNEL = 'floor.message';
const SEQ_KEY = 'floor:msg:seq';
const ID_LENGTH = 16;
const STAMP_AND_PUBLISH = `
local id = string.format('%016d', redis.call('INCR', KEYS[1]))
redis.call('PUBLISH', ARGV[1], id .. ARGV[2])
return id`;

interface Member {
  ws: WebSocket;
  user: string;
  room: string;
}

type FloorRedis = Redis & {
  stampAndPublish(
    seqKey: string,
    channel: string,
    json: string,
  ): Promise<string>;
};

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
  },
});
const instance = `floor-${process.pid}`;
const rooms = new Map<string, Set<Member>>();
const publisher = new Redis(
  values.redis ?? 'redis://127.0.0.1:6379',
) as FloorRedis;
const subscriber = new Redis(values.redis ?? 'redis://127.0.0.1:6379');
publisher.defineCommand('stampAndPublish', {
  numberOfKeys: 1,
  lua: STAMP_AND_PUBLISH,
});

const frame = (event: ServerEvent, data: object): string =>
  JSON.stringify({ event, data });

function leave(member: Member): void {
  const members = rooms.get(member.room);
  members?.delete(member);
  if (members?.size === 0) rooms.delete(member.room);
}

function enter(member: Member, room: string): number {
  leave(member);
  member.room = room;
  const members = rooms.get(room) ?? new Set<Member>();
  members.add(member);
  rooms.set(room, members);
  return members.size;
}

function onFrame(member: Member, raw: RawData): void {
  let parsed: { event?: unknown; data?: Record<string, any> };
  try {
    parsed = JSON.parse(raw.toString());
  } catch {
    member.ws.send(
      frame(ServerEvent.Error, {
        code: ErrorCode.BadRequest,
        message: 'Invalid JSON',
      }),
    );
    return;
  }
  const data = parsed.data ?? {};
  const ref = data.ref;
  if (
    parsed.event === ClientEvent.Send &&
    typeof data.text === 'string' &&
    data.text.length > 0
  ) {
    const room = member.room;
    const event = JSON.stringify({
      room,
      from: member.user,
      text: data.text,
      ts: Date.now(),
    });
    publisher.stampAndPublish(SEQ_KEY, CHANNEL, event).then(
      (id) => member.ws.send(frame(ServerEvent.Sent, { ref, id, room })),
      () =>
        member.ws.send(
          frame(ServerEvent.Error, {
            ref,
            code: ErrorCode.Internal,
            message: 'Redis failed; try again',
          }),
        ),
    );
  } else if (
    parsed.event === ClientEvent.Join &&
    typeof data.room === 'string'
  ) {
    const users = enter(member, data.room);
    member.ws.send(
      frame(ServerEvent.Joined, { ref, room: data.room, users, members: [] }),
    );
  } else {
    member.ws.send(
      frame(ServerEvent.Error, {
        ref,
        code: ErrorCode.UnknownEvent,
        message: 'The floor knows only send and join',
      }),
    );
  }
}

function deliver(published: string): void {
  const event = JSON.parse(published.slice(ID_LENGTH));
  const members = rooms.get(event.room);
  if (!members) return;
  const message = frame(ServerEvent.Message, {
    id: published.slice(0, ID_LENGTH),
    ...event,
  });
  for (const member of members)
    if (member.ws.readyState === WebSocket.OPEN) member.ws.send(message);
}

function login(req: IncomingMessage, res: ServerResponse): void {
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
          : { message: 'POST /auth/login {"username"}' },
      ),
    );
  });
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ')
    ? header.slice('Bearer '.length)
    : undefined;
}

async function main(): Promise<void> {
  const cert = readFileSync(join(ROOT, 'certs', 'server.crt'));
  const key = readFileSync(join(ROOT, 'certs', 'server.key'));
  const server: Server = createServer(
    { cert, key, minVersion: 'TLSv1.2' },
    login,
  );
  const wss = new WebSocketServer({
    server,
    path: WS_PATH,
    verifyClient: ({ req }: { req: IncomingMessage }) => !!tokenOf(req),
  });
  wss.on('connection', (ws, req) => {
    const member: Member = { ws, user: tokenOf(req)!, room: '' };
    enter(member, LOBBY);
    ws.on('message', (raw) => onFrame(member, raw));
    ws.on('close', () => leave(member));
    ws.on('error', () => undefined);
    ws.send(
      frame(ServerEvent.Welcome, {
        username: member.user,
        instance,
        room: LOBBY,
        unreadDms: 0,
      }),
    );
  });
  await subscriber.subscribe(CHANNEL);
  subscriber.on('message', (_channel: string, published: string) =>
    deliver(published),
  );
  await new Promise<void>((resolve) =>
    server.listen(Number(values.port), values.host, resolve),
  );
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`Floor listening on ${values.host}:${port}\n`);

  const stop = (): void => {
    wss.clients.forEach((ws) => ws.terminate());
    server.close();
    Promise.all([publisher.quit(), subscriber.quit()]).finally(() =>
      process.exit(0),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  /* The harness holds our stdin: if it dies without stopping us, we go too. */
  process.stdin.on('end', stop).resume();
}

main().catch((err: Error) => {
  process.stderr.write(`floor: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
