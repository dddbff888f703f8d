/*
 * The benchmark's floor: a bare `ws` + ioredis fan-out server that speaks the same frames as the gateway and does
 * only what delivering them needs. HTTPS + WSS on one TLS port (the development certificate); `POST /auth/login`
 * answers `{token}` where the token is the username (no password, no JWT); `join` moves the socket between local
 * rooms (no shared membership); `send` stamps a cluster-wide id and publishes in one Lua script (INCR + PUBLISH,
 * so ids rise in the order every instance receives them, as in the gateway) and answers `sent`; every instance
 * parses each published event once, JSON.stringify's the `message` frame once and ws.send's it to each local member.
 * With `--cluster host:port,...` it runs on a Redis Cluster the way the cluster design does: each room has its own
 * counter and sharded channel (`floor:{r:<room>}:seq`, SPUBLISH to `floor:{r:<room>}`, one slot per room), and an
 * instance SSUBSCRIBEs to a room's channel only while one of its sockets is in that room.
 * Usage: node dist/test/bench/floor-server.js --port 0 (--redis redis://127.0.0.1:6379 | --cluster host:port,...)
 */
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { IncomingMessage } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { RawData, WebSocket, WebSocketServer } from 'ws';

import {
  ClientEvent,
  ErrorCode,
  LOBBY,
  ServerEvent,
  WS_PATH,
} from '@app/protocol';

import { benchHttp, tokenOf } from './bench-http';

const ROOT = join(__dirname, '..', '..', '..');
const CHANNEL = 'floor.message';
const SEQ_KEY = 'floor:msg:seq';
const ID_LENGTH = 16;
const STAMP_AND_PUBLISH = `
local id = string.format('%016d', redis.call('INCR', KEYS[1]))
redis.call(ARGV[3], ARGV[1], id .. ARGV[2])
return id`;

interface Member {
  ws: WebSocket;
  user: string;
  room: string;
}

type FloorRedis = (Redis | Cluster) & {
  stampAndPublish(
    seqKey: string,
    channel: string,
    json: string,
    command: 'PUBLISH' | 'SPUBLISH',
  ): Promise<string>;
};

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
    cluster: { type: 'string' },
  },
});
const instance = `floor-${process.pid}`;
const rooms = new Map<string, Set<Member>>();
const clusterNodes = values.cluster?.split(',').map((node) => ({
  host: node.split(':')[0],
  port: Number(node.split(':')[1]),
}));
const connect = (sharded: boolean): Redis | Cluster =>
  clusterNodes
    ? new Cluster(clusterNodes, { shardedSubscribers: sharded })
    : new Redis(values.redis ?? 'redis://127.0.0.1:6379');
const publisher = connect(false) as FloorRedis;
const subscriber = connect(true);
publisher.defineCommand('stampAndPublish', {
  numberOfKeys: 1,
  lua: STAMP_AND_PUBLISH,
});
let busEvents = 0;
const roomChannel = (room: string): string => `floor:{r:${room}}`;

const frame = (event: ServerEvent, data: object): string =>
  JSON.stringify({ event, data });

function leave(member: Member): void {
  const members = rooms.get(member.room);
  members?.delete(member);
  if (members?.size !== 0) return;
  rooms.delete(member.room);
  if (clusterNodes)
    void subscriber.sunsubscribe(roomChannel(member.room)).catch(() => 0);
}

function enter(member: Member, room: string): number {
  leave(member);
  member.room = room;
  let members = rooms.get(room);
  if (!members) {
    rooms.set(room, (members = new Set<Member>()));
    if (clusterNodes)
      void subscriber.ssubscribe(roomChannel(room)).catch(() => 0);
  }
  members.add(member);
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
    const published = clusterNodes
      ? publisher.stampAndPublish(
          `${roomChannel(room)}:seq`,
          roomChannel(room),
          event,
          'SPUBLISH',
        )
      : publisher.stampAndPublish(SEQ_KEY, CHANNEL, event, 'PUBLISH');
    published.then(
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
  busEvents++;
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

async function main(): Promise<void> {
  const cert = readFileSync(join(ROOT, 'certs', 'server.crt'));
  const key = readFileSync(join(ROOT, 'certs', 'server.key'));
  const server: Server = createServer(
    { cert, key, minVersion: 'TLSv1.2' },
    benchHttp(() => busEvents),
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
  if (!clusterNodes) await subscriber.subscribe(CHANNEL);
  subscriber.on('message', (_channel: string, published: string) =>
    deliver(published),
  );
  subscriber.on('smessage', (_channel: string, published: string) =>
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
