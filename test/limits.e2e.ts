import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';

import { PROTOCOL } from '@app/protocol';

import {
  ChatClient,
  ClientPool,
  httpsJson,
  login,
  upgradeStatus,
} from './support/chat-client';
import { CA, GatewayProcess } from './support/gateway-process';
import { p99, sleep, waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

/** A client's round trip for `who`, many times, as a list of milliseconds. */
async function roundTrips(
  client: ChatClient,
  count: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await client.request('who');
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

describe('limits: rate, slow consumers, dead connections, expensive frames, drain', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  let strict: GatewayProcess;
  let strict2: GatewayProcess;
  const pool = new ClientPool();
  const connect = (gw: GatewayProcess, user: string): Promise<ChatClient> =>
    pool.connect(gw, user);

  before(async () => {
    redis = await TestRedis.start();
    const strictEnv = {
      RATE_LIMIT_BURST: '5',
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_STRIKES: '3',
    };
    [gateway, strict, strict2] = await Promise.all([
      GatewayProcess.start(redis.url, {
        WS_PING_INTERVAL_MS: '1000',
        WS_PING_TIMEOUT_MS: '1000',
        WS_MAX_BUFFERED_BYTES: '65536',
      }),
      GatewayProcess.start(redis.url, strictEnv),
      GatewayProcess.start(redis.url, strictEnv),
    ]);
  });

  after(async () => {
    await pool.closeAll();
    await Promise.all([gateway?.stop(), strict?.stop(), strict2?.stop()]);
    await redis?.stop();
  });

  it('limits messages per user across sessions and instances, and cuts off a user who keeps flooding with 1008', async () => {
    const first = await connect(strict, 'flooder');
    const second = await connect(strict2, 'flooder');
    const control = await connect(strict2, 'calm');
    const replies = [];
    for (let i = 0; i < 3; i++)
      replies.push(await first.request('send', { text: `a${i}` }));
    for (let i = 0; i < 2; i++)
      replies.push(await second.request('send', { text: `b${i}` }));
    assert.deepEqual(
      replies.map((r) => r.event),
      ['sent', 'sent', 'sent', 'sent', 'sent'],
      'the burst is shared by both sessions',
    );
    const limited = await second.request('send', { text: 'one too many' });
    assert.equal(limited.data.code, 'RATE_LIMITED');
    await second.request('send', { text: 'two too many' });
    await second
      .request('send', { text: 'three too many' })
      .catch(() => undefined);
    assert.equal((await second.waitClosed()).code, 1008);
    assert.equal(
      (await control.request('send', { text: 'still fine' })).event,
      'sent',
    );
  });

  it('closes a client that stops reading with 1013, and the others carry on', async () => {
    const slow = await connect(gateway, 'slowpoke');
    const talker = await connect(gateway, 'talker');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const text = 'x'.repeat(1900);
    // In windows of 10: 200 sends at once come back (replies and echoes, 760 KB) faster than the talker's
    // own socket may hold unread under this test's 64 KB limit, now that a session's sends overlap.
    for (let i = 0; i < 200 && !slow.closed; i += 10) {
      const refs = [...Array(10).keys()].map(() =>
        talker.emit('send', { text }),
      );
      await talker.next((f) => f.data?.ref === refs[9], 5000);
    }
    await sleep(500);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    assert.equal((await slow.waitClosed(5000)).code, 1013);
    assert.equal((await talker.request('send', { text: 'ok' })).event, 'sent');
  });

  it('cuts off a client that stops answering pings; its user leaves the room', async (t) => {
    const watcher = await connect(gateway, 'pinger');
    const { token } = await login(gateway, 'mute');
    const mute = new WebSocket(gateway.wsUrl, PROTOCOL, {
      ca: CA,
      headers: { authorization: `Bearer ${token}` },
      autoPong: false,
      handshakeTimeout: 5000,
    });
    t.after(() => mute.terminate());
    await new Promise((resolve, reject) =>
      mute.once('open', resolve).once('error', reject),
    );
    await waitFor(
      async () => (await watcher.request('who')).data.users.includes('mute'),
      5000,
      'mute to be online',
    );
    const closed = new Promise<number>((resolve) =>
      mute.once('close', resolve),
    );
    await watcher.next(
      (f) =>
        f.event === 'presence' &&
        f.data.user === 'mute' &&
        f.data.action === 'leave',
      6000,
    );
    assert.equal(
      await Promise.race([closed, sleep(3000).then(() => -1)]),
      1006,
    );
    assert.equal(
      (await watcher.request('who')).data.users.includes('mute'),
      false,
    );
  });

  it('refuses deeply nested frames and lone surrogates with BAD_REQUEST, cheaply, and logs no stack', async () => {
    const attacker = await connect(gateway, 'nester');
    const control = await connect(gateway, 'bystander');
    const deep = `{"event":"send","data":{"text":"x","ref":"deep","pad":${'['.repeat(30000)}${']'.repeat(30000)}}}`;
    attacker.sendRaw(deep);
    const refused = await attacker.next(
      (f) => f.event === 'error' && /deeper/.test(f.data.message),
    );
    assert.equal(refused.data.code, 'BAD_REQUEST');
    attacker.sendRaw(
      '{"event":"send","data":{"ref":"sur","text":"bad \\ud800 text"}}',
    );
    const surrogate = await attacker.next(
      (f) => f.event === 'error' && f.data.ref === 'sur',
    );
    assert.equal(surrogate.data.code, 'BAD_REQUEST');
    assert.match(surrogate.data.message, /data\.text .*surrogate/);

    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        for (let i = 0; i < 20; i++) attacker.sendRaw(deep);
        await sleep(50);
      }
    })();
    const times = await roundTrips(control, 100);
    flooding = false;
    await flood;
    process.stdout.write(
      `# control p99 while flooded with deep frames: ${p99(times).toFixed(1)} ms\n`,
    );
    assert.equal(
      (await control.request('send', { text: 'fine' })).event,
      'sent',
    );
    assert.doesNotMatch(gateway.log, /RangeError|Maximum call stack|\n\s+at /);
  });

  it('keeps connected clients responsive while 200 logins arrive at once (hashing is bounded, the rest get 503)', async (t) => {
    const control = await connect(gateway, 'steady');
    const logins = Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        httpsJson(gateway.port, 'POST', '/auth/login', {
          username: `crowd${i}`,
          password: 'pw',
        }),
      ),
    );
    const times = await roundTrips(control, 60);
    const statuses = (await logins).map((reply) => reply.status);
    t.diagnostic(
      `control p99 during 200 logins: ${p99(times).toFixed(1)} ms; ${statuses.filter((s) => s === 200).length} logged in, ${statuses.filter((s) => s === 503).length} got 503`,
    );
    assert.ok(
      statuses.every((status) => status === 200 || status === 503),
      `statuses: ${[...new Set(statuses)].join(' ')}`,
    );
    assert.equal(
      (await control.request('send', { text: 'still here' })).event,
      'sent',
    );
  });

  it('drains on SIGTERM: sessions leave their rooms before the sockets close with 1012, then the process exits 0', async () => {
    const draining = await GatewayProcess.start(redis.url);
    const watcher = await connect(gateway, 'drainwatch');
    const leaver = await ChatClient.connect(draining, 'drained');
    await watcher.request('join', { room: 'drainroom' });
    await leaver.request('join', { room: 'drainroom' });
    let presenceBeforeClose = false;
    watcher.onFrame = (f) => {
      if (
        f.event === 'presence' &&
        f.data.user === 'drained' &&
        f.data.action === 'leave'
      )
        presenceBeforeClose = !leaver.closed;
    };
    assert.equal(await draining.stop('SIGTERM'), 0);
    assert.equal((await leaver.waitClosed()).code, 1012);
    await watcher.next(
      (f) =>
        f.event === 'presence' &&
        f.data.user === 'drained' &&
        f.data.action === 'leave',
    );
    assert.equal(
      presenceBeforeClose,
      true,
      'others were told before the socket closed',
    );
    assert.deepEqual((await watcher.request('who')).data.users, ['drainwatch']);
  });
});

describe('connection caps across the cluster', () => {
  let redis: TestRedis;
  let east: GatewayProcess;
  let west: GatewayProcess;
  const clients: ChatClient[] = [];

  before(async () => {
    redis = await TestRedis.start();
    const env = {
      MAX_SESSIONS_PER_USER: '2',
      MAX_CONNECTIONS_PER_ADDRESS: '4',
      HEARTBEAT_INTERVAL_MS: '300',
    };
    [east, west] = await Promise.all([
      GatewayProcess.start(redis.url, env),
      GatewayProcess.start(redis.url, env),
    ]);
    await sleep(700);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([east?.stop(), west?.stop()]);
    await redis?.stop();
  });

  it('refuses a third session of one user, and a fifth connection from one address, with 429 and a message', async () => {
    const { token } = await login(east, 'many');
    clients.push(
      await ChatClient.open(east, 'many', token),
      await ChatClient.open(west, 'many', token),
    );
    await waitFor(
      async () =>
        (await upgradeStatus(east, { authorization: `Bearer ${token}` })) ===
        429,
      3000,
      'the third session to be refused',
    );
    const refused = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(west.wsUrl, PROTOCOL, {
        ca: CA,
        headers: { authorization: `Bearer ${token}` },
        handshakeTimeout: 5000,
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      });
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('a third session opened'));
      });
      ws.once('error', () => undefined);
    });
    assert.match(refused, /^429 .*MAX_SESSIONS_PER_USER=2/);

    for (const user of ['other1', 'other2'])
      clients.push(await ChatClient.connect(west, user));
    const { token: fifth } = await login(east, 'fifth');
    await waitFor(
      async () =>
        (await upgradeStatus(east, { authorization: `Bearer ${fifth}` })) ===
        429,
      3000,
      'the fifth connection to be refused',
    );

    await clients.pop()!.close();
    await waitFor(
      async () =>
        (await upgradeStatus(east, { authorization: `Bearer ${fifth}` })) ===
        'open',
      3000,
      'room for one more once one closed',
    );
    assert.equal(
      (await clients[0].request('send', { text: 'still chatting' })).event,
      'sent',
    );
  });
});
