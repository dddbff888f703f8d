import { GatewayProcess } from '../support/gateway-process';
import { HaproxyProcess } from '../support/haproxy-process';
import { httpsText } from '../support/https-text';
import { freePort } from '../support/ports';
import { TestRedis } from '../support/redis-server';

/** Limits lifted for a storm: many clients share a user (one login each) and every client is 127.0.0.1. */
const STORM_ENV = {
  MAX_SESSIONS_PER_USER: '100000',
  MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  SHUTDOWN_DRAIN_MS: '3000',
  LOG_LEVEL: 'warn',
};

/**
 * A private Redis, `size` gateways on fixed loopback ports (a restarted one comes back on its port) and
 * haproxy with deploy/haproxy/haproxy.cfg in front of them.
 */
export class StormCluster {
  private constructor(
    readonly redis: TestRedis,
    readonly ports: number[],
    readonly gateways: Array<GatewayProcess | undefined>,
    readonly haproxy: HaproxyProcess,
    private readonly env: Record<string, string>,
  ) {}

  static async start(
    size = 3,
    env: Record<string, string> = {},
  ): Promise<StormCluster> {
    const redis = await TestRedis.start();
    const ports: number[] = [];
    for (let i = 0; i < size; i++) ports.push(await freePort());
    const merged = { ...STORM_ENV, ...env };
    const started = await Promise.allSettled(
      ports.map((port) => startGateway(redis, port, merged)),
    );
    const gateways = started.map((s) =>
      s.status === 'fulfilled' ? s.value : undefined,
    );
    const haproxy = await HaproxyProcess.start(ports).catch(
      async (err: Error) => {
        await Promise.all(gateways.map((g) => g?.stop('SIGKILL')));
        await redis.stop();
        throw err;
      },
    );
    const cluster = new StormCluster(redis, ports, gateways, haproxy, merged);
    const failed = started.find((s) => s.status === 'rejected');
    try {
      if (failed) throw failed.reason;
      await haproxy.waitUp(size);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The slot of the gateway whose instance name (as `welcome` shows it) is `instance`. */
  slotOf(instance: string): number {
    return this.gateways.findIndex(
      (g) => g?.pid !== undefined && instance.includes(`-${g.pid}-`),
    );
  }

  /** SIGTERM, wait for the exit (the drain included), start again on the same port, wait for haproxy to see it up. */
  async restart(slot: number): Promise<void> {
    const code = await this.gateways[slot]?.stop('SIGTERM');
    if (code !== 0) throw new Error(`gateway ${slot + 1} exited with ${code}`);
    this.gateways[slot] = await startGateway(
      this.redis,
      this.ports[slot],
      this.env,
    );
  }

  /** kill -9: no drain, no goodbye; the others remove its sessions after three missed heartbeats. */
  async crash(slot: number): Promise<void> {
    await this.gateways[slot]?.stop('SIGKILL');
    this.gateways[slot] = undefined;
  }

  /**
   * Each gateway's event-loop delay (ms) since the last call (prom-client resets its histogram at every scrape of
   * `/metrics`), per slot; undefined where no gateway runs.
   */
  async loopDelays(): Promise<Array<{ p99: number; max: number } | undefined>> {
    return Promise.all(
      this.gateways.map(async (g) => {
        if (!g) return undefined;
        const { text } = await httpsText(g.port, '/metrics');
        const metric = (name: string): number =>
          Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1]) *
          1000;
        return {
          p99: metric('nodejs_eventloop_lag_p99_seconds'),
          max: metric('nodejs_eventloop_lag_max_seconds'),
        };
      }),
    );
  }

  /** `chat_logins_total` summed over results, per slot (undefined where no gateway runs). */
  async logins(): Promise<Array<number | undefined>> {
    return Promise.all(
      this.gateways.map(async (g) => {
        if (!g) return undefined;
        const { text } = await httpsText(g.port, '/metrics');
        return [...text.matchAll(/^chat_logins_total\{[^}]*\} (\d+)/gm)]
          .map((m) => Number(m[1]))
          .reduce((a, b) => a + b, 0);
      }),
    );
  }

  async stop(): Promise<void> {
    await this.haproxy.stop();
    await Promise.all(
      this.gateways.map((g) => g?.stop('SIGKILL').catch(() => undefined)),
    );
    await this.redis.stop();
  }
}

function startGateway(
  redis: TestRedis,
  port: number,
  env: Record<string, string>,
): Promise<GatewayProcess> {
  return GatewayProcess.start(redis.url, env, ['--port', String(port)]);
}
