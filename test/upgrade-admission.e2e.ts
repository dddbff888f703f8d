import assert from 'node:assert/strict';
import { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';

import { PROTOCOL } from '@app/protocol';

import { ChatClient, login } from './support/chat-client';
import { CA, GatewayProcess } from './support/gateway-process';
import { sleep } from './support/ports';
import { TestRedis } from './support/redis-server';

interface UpgradeOutcome {
  status: number | 'open';
  headers: IncomingHttpHeaders;
  body: string;
}

/** One upgrade with `token`: 'open' (closed again at once), or the refusal's status, headers and body. */
function upgrade(
  gateway: GatewayProcess,
  token: string,
): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gateway.wsUrl, PROTOCOL, {
      ca: CA,
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: 10000,
    });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 'open', headers: {}, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        ws.terminate();
      });
    });
    ws.once('error', (err) =>
      err.message.includes('Unexpected server response')
        ? undefined
        : reject(err),
    );
  });
}

describe('upgrade admission during a reconnect storm', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  const clients: ChatClient[] = [];

  before(async () => {
    redis = await TestRedis.start();
    gateway = await GatewayProcess.start(redis.url, {
      UPGRADES_PER_SECOND: '4',
      MAX_SESSIONS_PER_USER: '1000',
    });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.stop();
    await redis?.stop();
  });

  it('admits UPGRADES_PER_SECOND and answers the rest 503 with Retry-After at once, while connected users are served', async () => {
    const { token } = await login(gateway, 'stormer');
    await sleep(1100);
    const connected = await ChatClient.open(gateway, 'stormer', token);
    clients.push(connected);
    await connected.next((f) => f.event === 'welcome');
    await sleep(1100);

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => upgrade(gateway, token)),
    );
    const refused = outcomes.filter((o) => o.status === 503);
    const opened = outcomes.filter((o) => o.status === 'open');
    assert.ok(
      opened.length >= 1 && opened.length <= 6,
      `${opened.length} of 20 opened (4 a second)`,
    );
    assert.equal(refused.length + opened.length, 20);
    for (const refusal of refused) {
      assert.equal(refusal.headers['retry-after'], '1');
      assert.match(refusal.body, /busy.*try again in 1 s/i);
    }
    assert.equal((await connected.request('who')).event, 'who');

    await sleep(1100);
    assert.equal((await upgrade(gateway, token)).status, 'open');
  });

  it('answers 503 with Retry-After while draining on SIGTERM', async () => {
    const draining = await GatewayProcess.start(redis.url, {
      MAX_SESSIONS_PER_USER: '1000',
      SHUTDOWN_DRAIN_MS: '3000',
    });
    const { token } = await login(draining, 'drainee');
    const exited = draining.stop('SIGTERM');
    await sleep(500);
    const refusal = await upgrade(draining, token);
    assert.equal(refusal.status, 503);
    assert.equal(refusal.headers['retry-after'], '1');
    assert.equal(await exited, 0);
  });
});
