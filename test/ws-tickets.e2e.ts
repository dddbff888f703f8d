import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';

import { PROTOCOL } from '@app/protocol';

import { httpsJson, login, upgradeStatus } from './support/chat-client';
import { CA, GatewayProcess } from './support/gateway-process';
import { sleep } from './support/ports';
import { TestRedis } from './support/redis-server';

interface Upgrade {
  status: number | 'open';
  /** The refusal's body, or the first frame once open. */
  text: string;
}

/** Opens `/ws` + query without headers, as a browser would: the refusal's status and body, or the first frame. */
function upgrade(gateway: GatewayProcess, query: string): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gateway.wsUrl + query, PROTOCOL, {
      ca: CA,
      handshakeTimeout: 5000,
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer to the upgrade ${query.slice(0, 12)}…`));
    }, 8000);
    ws.once('message', (raw) => {
      clearTimeout(timer);
      ws.close();
      resolve({ status: 'open', text: raw.toString() });
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    ws.once('error', (err) => {
      if (err.message.includes('Unexpected server response')) return;
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('WebSocket tickets instead of tokens in URLs', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  let token = '';

  const ticket = async (): Promise<{ ticket: string; expiresInMs: number }> => {
    const reply = await httpsJson(gateway.port, 'POST', '/auth/ticket', '', {
      authorization: `Bearer ${token}`,
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  };
  const ticketQuery = (value: string): string =>
    `?ticket=${encodeURIComponent(value)}`;

  before(async () => {
    redis = await TestRedis.start();
    gateway = await GatewayProcess.start(redis.url, {
      WS_TICKET_TTL_MS: '1000',
      LOG_LEVEL: 'debug',
    });
    ({ token } = await login(gateway, 'tix'));
  });

  after(async () => {
    await gateway?.stop('SIGKILL').catch(() => undefined);
    await redis?.stop();
  });

  it('issues a ticket only for a valid bearer token', async () => {
    const none = await httpsJson(gateway.port, 'POST', '/auth/ticket');
    assert.equal(none.status, 401);
    const forged = await httpsJson(gateway.port, 'POST', '/auth/ticket', '', {
      authorization: `Bearer ${token.slice(0, -2)}xx`,
    });
    assert.equal(forged.status, 401);
    const issued = await ticket();
    assert.equal(typeof issued.ticket, 'string');
    assert.equal(issued.expiresInMs, 1000);
  });

  it('opens one WebSocket per ticket: a second use is refused with 401', async () => {
    const { ticket: value } = await ticket();
    const first = await upgrade(gateway, ticketQuery(value));
    assert.equal(first.status, 'open');
    assert.equal(JSON.parse(first.text).data.username, 'tix');
    const second = await upgrade(gateway, ticketQuery(value));
    assert.equal(second.status, 401);
    assert.match(second.text, /used or expired.*POST \/auth\/ticket/);
  });

  it('refuses a ticket once it has expired', async () => {
    const { ticket: value } = await ticket();
    await sleep(1500);
    assert.equal((await upgrade(gateway, ticketQuery(value))).status, 401);
  });

  it('refuses a token in the URL, saying what to use, and still takes the header', async () => {
    const refused = await upgrade(gateway, `?token=${token}`);
    assert.equal(refused.status, 401);
    assert.match(refused.text, /POST \/auth\/ticket/);
    assert.match(refused.text, /Authorization: Bearer/);
    assert.equal(
      await upgradeStatus(gateway, { authorization: `Bearer ${token}` }),
      'open',
    );
  });

  it('never writes a token or a ticket to its log', async () => {
    const { ticket: value } = await ticket();
    await upgrade(gateway, ticketQuery(value));
    await upgrade(gateway, ticketQuery(value));
    assert.ok(!gateway.log.includes(token), 'the token is not logged');
    assert.ok(!gateway.log.includes(value), 'the ticket is not logged');
  });
});
