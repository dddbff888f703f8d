import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sleep, waitFor } from './ports';
import { TestRedis } from './redis-server';

/** One node of the cluster as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId?: string;
  /** Slot ranges served, for a master ("0-5460"). */
  slots: string[];
}

/**
 * A private Redis Cluster on loopback for one test file: `masters` masters with `replicasPerMaster`
 * replicas each (3 + 3 by default), disk-less, created in about two seconds and removed by `stop`.
 * Each node also uses its port + 10000 (the cluster bus), so ports are picked with both free.
 */
export class TestRedisCluster {
  private constructor(
    readonly nodes: TestRedis[],
    private readonly dirs: string[],
  ) {}

  /** The value of `REDIS_CLUSTER_NODES`: every node's `host:port`, comma-separated. */
  get nodesSetting(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  static async start(
    options: {
      masters?: number;
      replicasPerMaster?: number;
      args?: string[];
    } = {},
  ): Promise<TestRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 1;
    const count = masters * (1 + replicas);
    const ports = await clusterPorts(count);
    const dirs = ports.map(() => mkdtempSync(join(tmpdir(), 'chat-cluster-')));
    const nodes: TestRedis[] = [];
    try {
      for (let i = 0; i < count; i++) {
        nodes.push(
          await TestRedis.startOn(ports[i], [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '1000',
            // A replica's first sync starts at once (Redis waits 5 s by default for more replicas to share it).
            '--repl-diskless-sync-delay',
            '0',
            '--dir',
            dirs[i],
            ...(options.args ?? []),
          ]),
        );
      }
      await redisCli([
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ]);
      const cluster = new TestRedisCluster(nodes, dirs);
      await cluster.waitHealthy(masters);
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((node) => node.stop()));
      dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
      throw err;
    }
  }

  /** The cluster's view from any node that answers. */
  async describe(): Promise<ClusterNode[]> {
    for (const node of this.nodes) {
      try {
        return parseClusterNodes(await cli(node.port, ['CLUSTER', 'NODES']));
      } catch {
        // that node is down: ask the next
      }
    }
    throw new Error('No node of the test cluster answers');
  }

  async masters(): Promise<ClusterNode[]> {
    return (await this.describe()).filter((node) => node.role === 'master');
  }

  /** The master serving `slot` (see `keySlot`). */
  async masterOfSlot(slot: number): Promise<ClusterNode> {
    const found = (await this.masters()).find((master) =>
      master.slots.some((range) => {
        const [from, to] = range.split('-').map(Number);
        return slot >= from && slot <= (to ?? from);
      }),
    );
    if (!found) throw new Error(`No master serves slot ${slot}`);
    return found;
  }

  /** A graceful failover: the replica of `masterPort` takes over (`CLUSTER FAILOVER`); resolves once it has. */
  async failover(masterPort: number): Promise<ClusterNode> {
    const replica = await this.replicaOf(masterPort);
    await cli(replica.port, ['CLUSTER', 'FAILOVER']);
    await this.waitPromoted(replica.port);
    // And the old master is a replica in that view, so `masters()` names only the serving ones.
    await waitFor(
      async () =>
        (await this.describe()).find((node) => node.port === masterPort)
          ?.role === 'replica',
      15_000,
      `node ${masterPort} to become a replica`,
    );
    return replica;
  }

  /** A crash: `kill -9` of the master on `masterPort`; resolves once its replica took over and the cluster is ok. */
  async crash(masterPort: number): Promise<ClusterNode> {
    const replica = await this.replicaOf(masterPort);
    await this.node(masterPort).stop('SIGKILL');
    await this.waitPromoted(replica.port);
    return replica;
  }

  /**
   * A crash that loses acknowledged writes: the replica of `masterPort` is frozen and cut off from its
   * master, `during` runs while the master goes on acknowledging writes its replica never gets, then the
   * master is killed (-9) and the replica thawed; resolves once the replica took over, without them.
   */
  async crashUnreplicated(
    masterPort: number,
    during: () => Promise<void>,
  ): Promise<ClusterNode> {
    const replica = await this.replicaOf(masterPort);
    this.node(replica.port).signal('SIGSTOP');
    try {
      await cli(masterPort, ['CLIENT', 'KILL', 'TYPE', 'replica']);
      await during();
      await this.node(masterPort).stop('SIGKILL');
    } finally {
      this.node(replica.port).signal('SIGCONT');
    }
    await this.waitPromoted(replica.port);
    return replica;
  }

  /** Starts a stopped node again (it rejoins as a replica of whoever took its slots). */
  async restart(port: number): Promise<void> {
    await this.node(port).restart();
  }

  node(port: number): TestRedis {
    const found = this.nodes.find((node) => node.port === port);
    if (!found)
      throw new Error(`Port ${port} is not a node of the test cluster`);
    return found;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    this.dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  }

  private async replicaOf(masterPort: number): Promise<ClusterNode> {
    const all = await this.describe();
    const master = all.find((node) => node.port === masterPort);
    const replica = all.find(
      (node) => node.role === 'replica' && node.masterId === master?.id,
    );
    if (!master || !replica)
      throw new Error(`No replica of the master on port ${masterPort}`);
    return replica;
  }

  private async waitPromoted(port: number): Promise<void> {
    await waitFor(
      async () => {
        const info = await cli(port, ['ROLE']).catch(() => '');
        const ok = await cli(port, ['CLUSTER', 'INFO']).catch(() => '');
        if (!info.startsWith('master') || !ok.includes('cluster_state:ok'))
          return false;
        // The view `describe` reads (the first node that answers) has learnt it too.
        const seen = (await this.describe()).find((node) => node.port === port);
        return seen?.role === 'master';
      },
      15_000,
      `node ${port} to become a master`,
    );
  }

  /*
   * Ready means every slot served and every replica synced: a replica that never finished its first sync
   * has no data to take over with, and refuses to be promoted when its master dies.
   */
  private async waitHealthy(masters: number): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.nodes) {
          const info = await cli(node.port, ['CLUSTER', 'INFO']).catch(
            () => '',
          );
          if (!info.includes('cluster_state:ok')) return false;
          const replication = await cli(node.port, [
            'INFO',
            'replication',
          ]).catch(() => '');
          if (
            replication.includes('role:slave') &&
            !replication.includes('master_link_status:up')
          )
            return false;
        }
        return (await this.masters()).length === masters;
      },
      15_000,
      'the test cluster to be ready',
    );
    await sleep(100);
  }
}

/** The hash slot of a key (CRC16 of its hash tag, or of the whole key), as Redis Cluster computes it. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(
      (fields) => !fields[2].includes('fail') && !fields[2].includes('noaddr'),
    )
    .map((fields) => ({
      id: fields[0],
      port: Number(fields[1].split('@')[0].split(':')[1]),
      role: fields[2].includes('master') ? 'master' : 'replica',
      masterId: fields[3] === '-' ? undefined : fields[3],
      slots: fields.slice(8),
    }));
}

function cli(port: number, args: string[]): Promise<string> {
  return redisCli(['-p', String(port), ...args]);
}

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'redis-cli',
      ['-h', '127.0.0.1', ...args],
      { timeout: 10_000 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`redis-cli ${args.join(' ')}: ${stderr || err.message}`),
          );
        else if (/^(ERR|\[ERR\])/m.test(stdout))
          reject(new Error(`redis-cli ${args.join(' ')}: ${stdout}`));
        else resolve(stdout);
      },
    ),
  );
}

/** `count` ports whose cluster-bus port (+10000) is free too. */
/*
 * Node ports (and their bus ports, +10000) are picked below the kernel's ephemeral range: a port in it can be
 * taken as the local port of any outgoing connection between the check and redis-server's bind (CI saw a node
 * never come up on 36693).
 */
async function clusterPorts(count: number): Promise<number[]> {
  const span = Math.max(1000, ephemeralLow() - 10_000 - 20_000);
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * span);
    if (ports.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

function ephemeralLow(): number {
  try {
    const [low] = readFileSync(
      '/proc/sys/net/ipv4/ip_local_port_range',
      'utf8',
    ).split(/\s+/);
    return Number(low) || 32768;
  } catch {
    return 32768;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
