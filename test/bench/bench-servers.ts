import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { GatewayProcess, ROOT } from '../support/gateway-process';
import { sleep, waitFor } from '../support/ports';
import { MEMORY_MARK } from './bench-protocol';

export type SystemName = 'floor' | 'gateway';
export const SYSTEMS: SystemName[] = ['floor', 'gateway'];

export interface BenchServer {
  readonly pid: number;
  readonly port: number;
  readonly log: string;
  stop(): Promise<unknown>;
}

const BENCH_DIST = join(ROOT, 'dist', 'test', 'bench');
const FLOOR_MAIN = join(BENCH_DIST, 'floor-server.js');
const HOOKS = join(BENCH_DIST, 'server-hooks.js');
const LISTENING = /Floor listening on [^\s]+:(\d+)/;
const REPORT = new RegExp(`${MEMORY_MARK}[^\n]*\n`, 'g');

/** A floor server process (floor-server.ts) on a free port; it exits by itself when our end of its stdin closes. */
class FloorProcess implements BenchServer {
  private output = '';
  port = 0;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.output;
  }

  static async start(redisUrl: string, env: Record<string, string>): Promise<FloorProcess> {
    const child = spawn(process.execPath, [FLOOR_MAIN, '--port', '0', '--redis', redisUrl], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const floor = new FloorProcess(child);
    const match = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`floor server exited with ${child.exitCode}:\n${floor.output}`);
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
    if ((await Promise.race([exited, sleep(5000).then(() => 'timeout')])) === 'timeout') this.child.kill('SIGKILL');
  }
}

/**
 * `count` server processes of one system against `redisUrl`, each with the bench hooks preloaded
 * (forced GC + memory report on SIGUSR2, optional CPU profile to `<profileDir>/<system>-<i>.cpuprofile`).
 */
export async function startServers(
  system: SystemName,
  redisUrl: string,
  count: number,
  env: Record<string, string>,
  profileDir?: string,
): Promise<BenchServer[]> {
  const envOf = (i: number): Record<string, string> => ({
    ...env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${HOOKS}`.trim(),
    ...(profileDir && { BENCH_CPU_PROFILE: join(profileDir, `${system}-${i + 1}.cpuprofile`) }),
  });
  const start = (i: number): Promise<BenchServer> =>
    system === 'gateway' ? GatewayProcess.start(redisUrl, envOf(i)).then(asBenchServer) : FloorProcess.start(redisUrl, envOf(i));
  return Promise.all(Array.from({ length: count }, (_, i) => start(i)));
}

function asBenchServer(gateway: GatewayProcess): BenchServer {
  return {
    pid: gateway.pid!,
    port: gateway.port,
    get log() {
      return gateway.log;
    },
    stop: () => gateway.stop(),
  };
}

/** Forces two full GCs in the server and resolves its `process.memoryUsage()` right after them. */
export async function memoryAfterGc(server: BenchServer): Promise<NodeJS.MemoryUsage> {
  const reports = (): number => server.log.match(REPORT)?.length ?? 0;
  const before = reports();
  process.kill(server.pid, 'SIGUSR2');
  await waitFor(() => reports() > before, 10000, `the memory report of process ${server.pid}`);
  const line = server.log.slice(server.log.lastIndexOf(MEMORY_MARK) + MEMORY_MARK.length);
  return JSON.parse(line.slice(0, line.indexOf('\n')));
}
