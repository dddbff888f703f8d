import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { GatewayProcess } from './support/gateway-process';
import { httpsText } from './support/https-text';
import { waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const FAST = {
  HEALTH_CANARY_INTERVAL_MS: '300',
  REDIS_RETRY_DELAY_MS: '200',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  HEARTBEAT_INTERVAL_MS: '300',
};

interface Health {
  status: string;
  error: Record<string, { status: string; message?: string }>;
}

async function health(
  gateway: GatewayProcess,
  probe: 'live' | 'ready',
): Promise<{ status: number; body: Health }> {
  const reply = await httpsText(gateway.port, `/health/${probe}`);
  return { status: reply.status, body: JSON.parse(reply.text) as Health };
}

const readyIs = (gateway: GatewayProcess, status: number) => async () =>
  (await health(gateway, 'ready').catch(() => undefined))?.status === status;

describe('health checks', () => {
  let redis: TestRedis;
  const gateways: GatewayProcess[] = [];

  before(async () => {
    redis = await TestRedis.start();
  });

  after(async () => {
    await Promise.all(
      gateways.map((g) => g.stop('SIGKILL').catch(() => undefined)),
    );
    await redis?.stop();
  });

  it('is live and ready once its own canary came back over the bus', async () => {
    const gateway = await GatewayProcess.start(redis.url, FAST);
    gateways.push(gateway);
    assert.deepEqual(await health(gateway, 'live'), {
      status: 200,
      body: { status: 'ok', info: {}, error: {}, details: {} },
    });
    await waitFor(readyIs(gateway, 200), 5000, 'readiness');
    const ready = await health(gateway, 'ready');
    assert.equal(ready.body.status, 'ok');
  });

  it('turns not ready, naming Redis and the bus, while Redis is down, and ready again after it restarts', async () => {
    const gateway = await GatewayProcess.start(redis.url, FAST);
    gateways.push(gateway);
    await waitFor(readyIs(gateway, 200), 5000, 'readiness');

    await redis.stop();
    const bothDown = async () => {
      const reply = await health(gateway, 'ready');
      return reply.status === 503 &&
        reply.body.error.redis &&
        reply.body.error.bus
        ? reply.body
        : undefined;
    };
    const down = await waitFor(
      bothDown,
      8000,
      'readiness to fail on Redis and on the bus',
    );
    assert.equal(down.status, 'error');
    assert.equal(down.error.redis.status, 'down');
    assert.match(down.error.bus.message ?? '', /probe/);
    assert.equal(
      (await health(gateway, 'live')).status,
      200,
      'still live: restarting it would not help',
    );

    await redis.restart();
    await waitFor(readyIs(gateway, 200), 15000, 'readiness to come back');
  });

  it('answers 503 for readiness first thing on SIGTERM, then exits 0', async () => {
    const gateway = await GatewayProcess.start(redis.url, {
      ...FAST,
      SHUTDOWN_DRAIN_MS: '3000',
    });
    gateways.push(gateway);
    await waitFor(readyIs(gateway, 200), 5000, 'readiness');

    const exited = gateway.stop('SIGTERM');
    await waitFor(
      readyIs(gateway, 503),
      2500,
      'readiness to fail during the drain',
    );
    const draining = await health(gateway, 'ready');
    assert.match(draining.body.error.shutdown?.message ?? '', /Shutting down/);
    assert.equal((await health(gateway, 'live')).status, 200);
    assert.equal(await exited, 0);
  });
});
