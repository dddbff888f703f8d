import Redis from 'ioredis';

import { ChatStore } from './chat-stores';
import { keySlot } from './redis-cluster';

/**
 * Direct connections to the Redis servers of a test store, for tests that act on Redis itself (kill
 * clients, stall, flush): the one server of a standalone store, or each master of a cluster.
 */
export class StoreAdmin {
  private readonly connections = new Map<number, Redis>();
  private readonly extra: Redis[] = [];

  constructor(private readonly store: ChatStore) {}

  /** A connection to every master (the one server of a standalone store). */
  async masters(): Promise<Redis[]> {
    return (await this.masterPorts()).map((port) => this.connection(port));
  }

  /** Runs one command on every master; the replies in master order. */
  async onMasters(command: string, ...args: string[]): Promise<unknown[]> {
    return Promise.all(
      (await this.masters()).map((node) => node.call(command, ...args)),
    );
  }

  /** The ids of the pub/sub connections of every master, as `port:id`. */
  async pubsubClients(): Promise<string[]> {
    const ports = await this.masterPorts();
    const lists = await Promise.all(
      ports.map((port) =>
        this.connection(port).call('CLIENT', 'LIST', 'TYPE', 'pubsub'),
      ),
    );
    return lists.flatMap((list, i) =>
      String(list)
        .split('\n')
        .filter(Boolean)
        .map((line) => `${ports[i]}:${/id=(\d+)/.exec(line)![1]}`),
    );
  }

  /** A connection of its own to the master holding `key`'s slot (to block it, or to subscribe); closed by `close`. */
  async own(key: string): Promise<Redis> {
    const cluster = this.store.cluster;
    const port = cluster
      ? (await cluster.masterOfSlot(keySlot(key))).port
      : this.store.redis!.port;
    const connection = new Redis(port, '127.0.0.1');
    connection.on('error', () => undefined);
    this.extra.push(connection);
    return connection;
  }

  close(): void {
    [...this.connections.values(), ...this.extra].forEach((c) =>
      c.disconnect(),
    );
  }

  private async masterPorts(): Promise<number[]> {
    const cluster = this.store.cluster;
    if (!cluster) return [this.store.redis!.port];
    return (await cluster.masters()).map((master) => master.port);
  }

  private connection(port: number): Redis {
    let found = this.connections.get(port);
    if (!found) {
      found = new Redis(port, '127.0.0.1', {
        maxRetriesPerRequest: 1,
        retryStrategy: () => 100,
      });
      // A server a test stops on purpose refuses connections until it is back: not worth a log line.
      found.on('error', () => undefined);
      this.connections.set(port, found);
    }
    return found;
  }
}
