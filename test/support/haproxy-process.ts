import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';

import { ROOT } from './gateway-process';
import { freePort, sleep, waitFor } from './ports';

export const HAPROXY_CONFIG = join(ROOT, 'deploy', 'haproxy', 'haproxy.cfg');

/** The haproxy binary's name, or why it cannot run (the test says so instead of a cryptic spawn error). */
export function haproxyMissing(): string | undefined {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0
    ? 'haproxy is not installed: apt-get install -y haproxy (.ci/run does it)'
    : undefined;
}

/**
 * HAProxy on a free loopback port, started with the configuration that ships (deploy/haproxy/haproxy.cfg),
 * in front of gateways at the given loopback ports; its stats page tells which servers are up.
 */
export class HaproxyProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly statsPort: number,
  ) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  get wsUrl(): string {
    return `wss://localhost:${this.port}/ws`;
  }

  get log(): string {
    return this.output;
  }

  static async start(gatewayPorts: number[]): Promise<HaproxyProcess> {
    const missing = haproxyMissing();
    if (missing) throw new Error(missing);
    const [port, statsPort] = [await freePort(), await freePort()];
    const servers = Object.fromEntries(
      gatewayPorts.map((p, i) => [
        `SECURECHAT_GATEWAY_${i + 1}`,
        `127.0.0.1:${p}`,
      ]),
    );
    const child = spawn('haproxy', ['-db', '-f', HAPROXY_CONFIG], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...servers,
        SECURECHAT_LISTEN: `127.0.0.1:${port}`,
        HAPROXY_STATS: `127.0.0.1:${statsPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const haproxy = new HaproxyProcess(child, port, statsPort);
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(
            `haproxy exited with ${child.exitCode}:\n${haproxy.output}`,
          );
        return (await haproxy.states().catch(() => undefined)) !== undefined;
      },
      10000,
      'haproxy to start',
    );
    return haproxy;
  }

  /** Each gateway server's state as haproxy's checks see it: 'UP', 'DOWN', 'UP 1/2', ... */
  async states(): Promise<string[]> {
    const csv = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.statsPort,
          path: '/stats;csv',
          timeout: 3000,
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.on('timeout', () =>
        req.destroy(new Error('haproxy stats timed out')),
      );
      req.end();
    });
    return csv
      .split('\n')
      .map((line) => line.split(','))
      .filter(
        ([proxy, server]) =>
          proxy === 'gateways' && /^gateway\d+$/.test(server),
      )
      .map((fields) => fields[17]);
  }

  /** Waits until exactly `count` servers are UP (the rest down). */
  async waitUp(count: number, timeoutMs = 20000): Promise<void> {
    await waitFor(
      async () =>
        (await this.states()).filter((s) => s === 'UP').length === count,
      timeoutMs,
      `haproxy to see ${count} gateways up`,
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    if (
      await Promise.race([
        exited.then(() => true),
        sleep(3000).then(() => false),
      ])
    )
      return;
    this.child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}
