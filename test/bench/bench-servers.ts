import { ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:https';
import { createConnection } from 'node:net';
import { join } from 'node:path';

import { CA, GatewayProcess, ROOT } from '../support/gateway-process';
import { sleep, waitFor } from '../support/ports';
import { BUS_EVENTS_METRIC } from './bench-http';
import { Pauses } from './bench-protocol';

export type SystemName = 'floor' | 'gateway' | 'gateway-before' | 'socketio';
/** The systems a run measures by default, in order. */
export const SYSTEMS: SystemName[] = ['floor', 'gateway', 'socketio'];
/** Every system `--systems` accepts; `gateway-before` is another checkout's gateway build (`--baseline DIR`). */
export const ALL_SYSTEMS: SystemName[] = [
  'floor',
  'gateway-before',
  'gateway',
  'socketio',
];

/** The gateway's main file inside a checkout built with `npm run build`. */
export const gatewayMainOf = (dir: string): string =>
  join(dir, 'dist', 'apps', 'gateway', 'src', 'main.js');

/** The Redis a run uses: a standalone server, or a cluster (`host:port,...`, the gateway's REDIS_CLUSTER_NODES). */
export interface RedisTarget {
  url: string;
  clusterNodes?: string;
}

export interface BenchServer {
  readonly pid: number;
  /** The Unix socket of the bench hooks inside the process (server-hooks.ts). */
  readonly control: string;
  readonly port: number;
  readonly log: string;
  stop(): Promise<unknown>;
}

const BENCH_DIST = join(ROOT, 'dist', 'test', 'bench');
const HOOKS = join(BENCH_DIST, 'server-hooks.js');
/** The bench's own servers: their main file and the line each prints once it listens. */
const SCRIPTS = {
  floor: {
    main: join(BENCH_DIST, 'floor-server.js'),
    listening: /Floor listening on [^\s]+:(\d+)/,
  },
  socketio: {
    main: join(BENCH_DIST, 'socketio-server.js'),
    listening: /Socket\.IO listening on [^\s]+:(\d+)/,
  },
};

/** A floor or Socket.IO server process on a free port; it exits by itself when our end of its stdin closes. */
class ScriptProcess implements BenchServer {
  private output = '';
  port = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly control: string,
  ) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.output;
  }

  static async start(
    system: keyof typeof SCRIPTS,
    redis: RedisTarget,
    env: Record<string, string>,
    control: string,
  ): Promise<ScriptProcess> {
    const { main, listening } = SCRIPTS[system];
    const child = spawn(
      process.execPath,
      [
        main,
        '--port',
        '0',
        ...(redis.clusterNodes
          ? ['--cluster', redis.clusterNodes]
          : ['--redis', redis.url]),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const server = new ScriptProcess(child, control);
    const match = await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(
            `${system} server exited with ${child.exitCode}:\n${server.output}`,
          );
        return listening.exec(server.output);
      },
      15000,
      `the ${system} server to listen`,
    );
    server.port = Number(match[1]);
    return server;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    if (
      (await Promise.race([exited, sleep(5000).then(() => 'timeout')])) ===
      'timeout'
    )
      this.child.kill('SIGKILL');
  }
}

/**
 * `count` server processes of one system against `redis`, each with the bench hooks preloaded and listening on
 * `<controlDir>/<system>-<i>.sock`; with `profileDir`, each can write `<profileDir>/<system>-<i>.cpuprofile`.
 * `gateway-before` starts the gateway built in the checkout `baseline`, with this checkout's certificate.
 */
export async function startServers(
  system: SystemName,
  redis: RedisTarget,
  count: number,
  env: Record<string, string>,
  controlDir: string,
  profileDir?: string,
  baseline?: string,
): Promise<BenchServer[]> {
  const controlOf = (i: number): string =>
    join(controlDir, `${system}-${i + 1}.sock`);
  const envOf = (i: number): Record<string, string> => ({
    ...env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${HOOKS}`.trim(),
    BENCH_CONTROL: controlOf(i),
    ...(profileDir && {
      BENCH_CPU_PROFILE: join(profileDir, `${system}-${i + 1}.cpuprofile`),
    }),
  });
  const gatewayEnv = (i: number): Record<string, string> => ({
    ...envOf(i),
    ...(redis.clusterNodes && { REDIS_CLUSTER_NODES: redis.clusterNodes }),
  });
  const start = (i: number): Promise<BenchServer> => {
    if (system === 'gateway')
      return GatewayProcess.start(redis.url, gatewayEnv(i)).then((gateway) =>
        asBenchServer(gateway, controlOf(i)),
      );
    if (system === 'gateway-before') {
      if (!baseline) throw new Error('gateway-before needs --baseline DIR');
      const certs = {
        TLS_CERT: join(ROOT, 'certs', 'server.crt'),
        TLS_KEY: join(ROOT, 'certs', 'server.key'),
      };
      return GatewayProcess.start(
        redis.url,
        { ...gatewayEnv(i), ...certs },
        [],
        { main: gatewayMainOf(baseline), cwd: baseline },
      ).then((gateway) => asBenchServer(gateway, controlOf(i)));
    }
    return ScriptProcess.start(system, redis, envOf(i), controlOf(i));
  };
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => start(i)),
  );
  const servers = started.flatMap((s) =>
    s.status === 'fulfilled' ? [s.value] : [],
  );
  const failed = started.find((s) => s.status === 'rejected');
  if (!failed) return servers;
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  throw failed.reason;
}

function asBenchServer(gateway: GatewayProcess, control: string): BenchServer {
  return {
    pid: gateway.pid!,
    port: gateway.port,
    control,
    get log() {
      return gateway.log;
    },
    stop: () => gateway.stop(),
  };
}

/** Sends one command to the hooks inside the server and resolves its JSON answer. */
function control<T>(server: BenchServer, command: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(server.control);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () =>
      socket.destroy(
        new Error(
          `process ${server.pid} did not answer "${command}" within 10 s`,
        ),
      ),
    );
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('end', () => resolve(JSON.parse(answer)));
    socket.on('error', reject);
    socket.write(`${command}\n`);
  });
}

/** The server's `process.memoryUsage()` right after two forced full GCs. */
export const memoryAfterGc = (
  server: BenchServer,
): Promise<NodeJS.MemoryUsage> => control(server, 'memory');

/** The server's event-loop delay and GC pauses since the last call. */
export const pausesSinceLast = (server: BenchServer): Promise<Pauses> =>
  control(server, 'pauses');

export const startProfile = (server: BenchServer): Promise<unknown> =>
  control(server, 'profile');

/**
 * The server's count of bus events received (the sum of every `chat_bus_events_received_total` series on its
 * `/metrics`), or NaN when it has no such metric or does not answer.
 */
export function busEventsReceived(server: BenchServer): Promise<number> {
  return new Promise((resolve) => {
    const req = get(
      { host: '127.0.0.1', port: server.port, path: '/metrics', ca: CA },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          const values = text
            .split('\n')
            .filter((line) => /^[a-z_]+(\{|\s)/.test(line))
            .filter((line) => line.split(/[{\s]/)[0] === BUS_EVENTS_METRIC)
            .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
          resolve(
            res.statusCode === 200 && values.length
              ? values.reduce((sum, v) => sum + v, 0)
              : NaN,
          );
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve(NaN));
  });
}
