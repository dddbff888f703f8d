import Redis from 'ioredis';
import { Writable } from 'node:stream';

import { isCluster, RedisClient } from './redis-connection';

const COALESCED = Symbol('coalesced');
const HELD = Symbol('held');

type Coalesced = Writable & { [COALESCED]?: true; [HELD]?: boolean };

/** The sockets holding writes in this turn of the loop: one `setImmediate` releases them all. */
let holding: Coalesced[] = [];

function releaseAll(): void {
  const sockets = holding;
  holding = [];
  for (const socket of sockets) {
    socket[HELD] = false;
    socket.uncork();
  }
}

/**
 * Holds a socket's writes until the check phase of the current turn of the event loop (`setImmediate`), so
 * every write made in one turn leaves in one system call. On loopback that call carries the kernel's whole
 * TCP path, and a busy turn makes many writes (the store steps of many sessions' frames): the busier the
 * process, the more each call carries, and an idle one waits only for the end of its turn. Other corks
 * on the socket still work: `cork` counts. Not for clients' sockets: bytes held until the end of a turn
 * would count as a client's unread backlog (WS_MAX_BUFFERED_BYTES).
 */
export function coalesceWrites(socket: Writable): void {
  const target = socket as Coalesced;
  if (target[COALESCED]) return;
  target[COALESCED] = true;
  const write = target.write;
  target.write = function (this: Writable, ...args: unknown[]): boolean {
    if (!target[HELD] && !target.writableEnded) {
      target[HELD] = true;
      target.cork();
      if (holding.push(target) === 1) setImmediate(releaseAll);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Writable['write'];
}

/** `coalesceWrites` on every connection of the client: each (re)connection of it or, on a cluster, of each node. */
export function coalesceRedisWrites(client: RedisClient): void {
  const onConnection = (node: Redis): void => {
    node.on('connect', () => coalesceWrites(node.stream));
    if (node.stream) coalesceWrites(node.stream);
  };
  if (isCluster(client)) client.on('+node', onConnection);
  else onConnection(client);
}
