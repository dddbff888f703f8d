/*
 * The benchmark's Socket.IO peer: what a team would write with Socket.IO 4 and its Redis adapter for the same room
 * chat, and nothing more. HTTPS on one TLS port with the development certificate (login and metrics as the floor's,
 * bench-http.ts); Socket.IO on the same port, websocket transport only, no compression. The CONNECT packet carries
 * `{token}`; on connection the socket gets a `welcome` event and sits in the lobby; `join` moves it to one room and
 * answers `joined`; `send` emits `message` to the sender's room through the adapter and answers `sent`. It stores
 * nothing and stamps no id. On a standalone Redis it uses `createAdapter` (PUBLISH, every instance hears every
 * room); with `--cluster host:port,...` it uses `createShardedAdapter` on an ioredis Cluster (SPUBLISH, one channel
 * per room, subscribed while the instance has a socket in that room).
 * Usage: node dist/test/bench/socketio-server.js --port 0 (--redis redis://127.0.0.1:6379 | --cluster host:port,...)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import Redis, { Cluster } from 'ioredis';
import { Server, Socket } from 'socket.io';

import { LOBBY } from '@app/protocol';

import { benchHttp } from './bench-http';

const ROOT = join(__dirname, '..', '..', '..');

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
    cluster: { type: 'string' },
  },
});
const instance = `socketio-${process.pid}`;
const clusterNodes = values.cluster?.split(',').map((node) => {
  const [host, port] = node.split(':');
  return { host, port: Number(port) };
});
const connect = (sharded: boolean): Redis | Cluster =>
  clusterNodes
    ? new Cluster(clusterNodes, { shardedSubscribers: sharded })
    : new Redis(values.redis ?? 'redis://127.0.0.1:6379');
const pubClient = connect(false);
const subClient = connect(true);
let busEvents = 0;
const count = (): void => void busEvents++;
for (const event of ['messageBuffer', 'pmessageBuffer', 'smessageBuffer'])
  subClient.on(event, count);

function onConnection(socket: Socket): void {
  const user = socket.data.user as string;
  let room = LOBBY;
  void socket.join(room);
  socket.emit('welcome', { username: user, instance, room, unreadDms: 0 });
  socket.on('join', (data: { room?: unknown; ref?: unknown }) => {
    if (typeof data?.room !== 'string') return;
    void socket.leave(room);
    room = data.room;
    void socket.join(room);
    socket.emit('joined', { ref: data.ref, room, members: [] });
  });
  socket.on('send', (data: { text?: unknown; ref?: unknown }) => {
    if (typeof data?.text !== 'string' || data.text.length === 0) return;
    // The sender is in the room too, so it gets its own message, as in the gateway and the floor.
    socket.nsp
      .to(room)
      .emit('message', { room, from: user, text: data.text, ts: Date.now() });
    socket.emit('sent', { ref: data.ref, room });
  });
}

async function main(): Promise<void> {
  const server = createServer(
    {
      cert: readFileSync(join(ROOT, 'certs', 'server.crt')),
      key: readFileSync(join(ROOT, 'certs', 'server.key')),
      minVersion: 'TLSv1.2',
    },
    benchHttp(() => busEvents),
  );
  const io = new Server(server, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    adapter: clusterNodes
      ? createShardedAdapter(pubClient, subClient)
      : createAdapter(pubClient, subClient),
  });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string' || token.length === 0)
      return next(new Error('Send {"token"} in the CONNECT packet'));
    socket.data.user = token;
    next();
  });
  io.on('connection', onConnection);
  await new Promise<void>((resolve) =>
    server.listen(Number(values.port), values.host, resolve),
  );
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`Socket.IO listening on ${values.host}:${port}\n`);

  const stop = (): void => {
    io.disconnectSockets(true);
    server.close();
    Promise.all([pubClient.quit(), subClient.quit()]).finally(() =>
      process.exit(0),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  /* The harness holds our stdin: if it dies without stopping us, we go too. */
  process.stdin.on('end', stop).resume();
}

main().catch((err: Error) => {
  process.stderr.write(`socketio: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
