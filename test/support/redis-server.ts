import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';

import { freePort, sleep, waitFor } from './ports';

/**
 * A private redis-server on a free loopback port, for one test file: disk-less unless `args` say
 * otherwise (later arguments win, e.g. `--appendonly yes --appendfsync always --dir <tmp>`, or
 * `--enable-debug-command local`). A restart keeps the arguments, so an AOF is read back.
 */
export class TestRedis {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(args: string[] = []): Promise<TestRedis> {
    return TestRedis.startOn(await freePort(), args);
  }

  /** A server on a port the caller chose (a cluster node needs its port + 10000 free as well). */
  static async startOn(port: number, args: string[] = []): Promise<TestRedis> {
    const redis = new TestRedis(port, args);
    await redis.restart();
    return redis;
  }

  async restart(): Promise<void> {
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
        ...this.args,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      () => this.answers(),
      5000,
      `redis-server on port ${this.port}`,
    );
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server, as a stalled host would. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  /** Ends the server: SIGKILL by default (a crash), SIGTERM for a clean shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    if (
      await Promise.race([
        exited.then(() => true),
        sleep(5000).then(() => false),
      ])
    )
      return;
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(3000)]);
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: this.port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
}
