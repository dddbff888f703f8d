import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { sleep, waitFor } from './ports';

export const ROOT = join(__dirname, '..', '..', '..');
export const GATEWAY_MAIN = join(
  ROOT,
  'dist',
  'apps',
  'gateway',
  'src',
  'main.js',
);
export const CA = readFileSync(join(ROOT, 'certs', 'server.crt'));
export const ADMIN_TOKEN = 'test-admin-token';
/** The METRICS_TOKEN of the tests that read `/metrics`. */
export const METRICS_TOKEN = 'metrics-token-for-tests';

const LISTENING = /Secure Server listening on [^\s]+:(\d+) \(TLS Enabled\)/;

/** The node flags that `nest start gateway` runs the gateway with (nest-cli.json's `exec`) in checkout `dir`. */
export function gatewayNodeFlags(dir: string): string[] {
  const cli = JSON.parse(readFileSync(join(dir, 'nest-cli.json'), 'utf8')) as {
    projects?: { gateway?: { exec?: string } };
  };
  const [, ...flags] = (cli.projects?.gateway?.exec ?? 'node').split(/\s+/);
  return flags;
}

/** A real gateway process (`node <its nest-cli.json flags> dist/apps/gateway/src/main.js`) on a free port. */
export class GatewayProcess {
  private output = '';
  private paused = false;
  port = 0;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  get url(): string {
    return `https://localhost:${this.port}`;
  }

  get wsUrl(): string {
    return `wss://localhost:${this.port}/ws`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get log(): string {
    return this.output;
  }

  /** `build` runs another checkout's gateway (its `main` file, from its own folder `cwd`), e.g. an older commit's. */
  static async start(
    redisUrl: string,
    env: Record<string, string> = {},
    args: string[] = [],
    build: { main: string; cwd: string } = { main: GATEWAY_MAIN, cwd: ROOT },
  ): Promise<GatewayProcess> {
    const child = spawn(
      process.execPath,
      [
        ...gatewayNodeFlags(build.cwd),
        build.main,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        ...args,
      ],
      {
        cwd: build.cwd,
        env: {
          ...process.env,
          REDIS_URL: redisUrl,
          CHAT_ADMIN_TOKEN: ADMIN_TOKEN,
          RATE_LIMIT_PER_SECOND: '1000',
          RATE_LIMIT_BURST: '1000',
          LOGIN_MAX_FAILURES_PER_ADDRESS: '10000',
          REGISTRATIONS_PER_ADDRESS: '10000',
          REGISTRATIONS_PER_HOUR: '1000000',
          // Every test client comes from 127.0.0.1.
          MAX_CONNECTIONS_PER_ADDRESS: '10000',
          // No load balancer to wait for, unless a test says so.
          SHUTDOWN_DRAIN_MS: '0',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const gateway = new GatewayProcess(child);
    const match = await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(
            `gateway exited with ${child.exitCode}:\n${gateway.output}`,
          );
        return LISTENING.exec(gateway.output);
      },
      // Generous: several gateways booting at once on a busy 2-core machine take well over 15 s.
      45000,
      'the gateway to listen',
    );
    gateway.port = Number(match[1]);
    return gateway;
  }

  /** Freezes the process (SIGSTOP), as a long GC pause or a suspended VM would; `resume` thaws it. */
  pause(): void {
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  /** Stops the process with `signal` and resolves its exit code (null if killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return this.child.exitCode;
    if (this.paused) this.resume();
    const exited = new Promise<number | null>((resolve) =>
      this.child.once('exit', (code) => resolve(code)),
    );
    this.child.kill(signal);
    const code = await Promise.race([
      exited,
      sleep(8000).then(() => 'timeout' as const),
    ]);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(
        `gateway did not exit within 8 s of ${signal}:\n${this.output}`,
      );
    }
    return code;
  }
}
