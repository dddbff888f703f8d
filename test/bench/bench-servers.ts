import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';

import { GatewayProcess, ROOT } from '../support/gateway-process';
import { sleep, waitFor } from '../support/ports';
import { Pauses } from './bench-protocol';

export type SystemName = 'floor' | 'gateway';
export const SYSTEMS: SystemName[] = ['floor', 'gateway'];

export interface BenchServer {
  readonly pid: number;
  /** The Unix socket of the bench hooks inside the process (server-hooks.ts). */
  readonly control: string;
  readonly port: number;
  readonly log: string;
  stop(): Promise<unknown>;
}

const BENCH_DIST = join(ROOT, 'dist', 'test', 'bench');
const FLOOR_MAIN = join(BENCH_DIST, 'floor-server.js');
const HOOKS = join(BENCH_DIST, 'server-hooks.js');
const LISTENING = /Floor listening on [^\s]+:(\d+)/;

/** A floor server process (floor-server.ts) on a free port; it exits by itself when our end of its stdin closes. */
class FloorProcess implements BenchServer {
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
    redisUrl: string,
    env: Record<string, string>,
    control: string,
  ): Promise<FloorProcess> {
    const child = spawn(
      process.execPath,
      [FLOOR_MAIN, '--port', '0', '--redis', redisUrl],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const floor = new FloorProcess(child, control);
    const match = await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(
            `floor server exited with ${child.exitCode}:\n${floor.output}`,
          );
        return LISTENING.exec(floor.output);
      },
      15000,
      'the floor server to listen',
    );
    floor.port = Number(match[1]);
    return floor;
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
 * `count` server processes of one system against `redisUrl`, each with the bench hooks preloaded and listening on
 * `<controlDir>/<system>-<i>.sock`; with `profileDir`, each can write `<profileDir>/<system>-<i>.cpuprofile`.
 */
export async function startServers(
  system: SystemName,
  redisUrl: string,
  count: number,
  env: Record<string, string>,
  controlDir: string,
  profileDir?: string,
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
  const start = (i: number): Promise<BenchServer> =>
    system === 'gateway'
      ? GatewayProcess.start(redisUrl, envOf(i)).then((gateway) =>
          asBenchServer(gateway, controlOf(i)),
        )
      : FloorProcess.start(redisUrl, envOf(i), controlOf(i));
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
