import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ChatClient, httpsJson } from './support/chat-client';
import { GatewayProcess, METRICS_TOKEN } from './support/gateway-process';
import { httpsText } from './support/https-text';
import { waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const BEARER = { authorization: `Bearer ${METRICS_TOKEN}` };

/** `name{labels} value` lines of a scrape, as a map from `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const lines = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'));
  return new Map(
    lines.map((line) => [
      line.slice(0, line.lastIndexOf(' ')),
      Number(line.slice(line.lastIndexOf(' ') + 1)),
    ]),
  );
}

describe('metrics', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  const clients: ChatClient[] = [];
  const scrape = async (): Promise<Map<string, number>> =>
    samples((await httpsText(gateway.port, '/metrics', BEARER)).text);

  before(async () => {
    redis = await TestRedis.start();
    gateway = await GatewayProcess.start(redis.url, {
      METRICS_TOKEN,
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '20',
    });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.stop('SIGKILL').catch(() => undefined);
    await redis?.stop();
  });

  it('wants the METRICS_TOKEN as a bearer token when it is set', async () => {
    assert.equal((await httpsText(gateway.port, '/metrics')).status, 401);
    assert.equal(
      (
        await httpsText(gateway.port, '/metrics', {
          authorization: 'Bearer wrong-token-of-some-length',
        })
      ).status,
      401,
    );
    const reply = await httpsText(gateway.port, '/metrics', BEARER);
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain/);
    assert.match(
      reply.text,
      /^process_cpu_user_seconds_total \d/m,
      'process defaults',
    );
  });

  it('counts sessions, logins, messages published and delivered, rate-limited frames and bus lag', async () => {
    const login = async (password: string): Promise<number> =>
      (
        await httpsJson(gateway.port, 'POST', '/auth/login', {
          username: 'mallory',
          password,
        })
      ).status;
    assert.equal(await login('pw'), 200);
    assert.equal(await login('wrong'), 401);
    const ann = await ChatClient.connect(gateway, 'ann');
    const bob = await ChatClient.connect(gateway, 'bob');
    clients.push(ann, bob);
    assert.equal((await ann.request('send', { text: 'hello' })).event, 'sent');
    await bob.next((f) => f.event === 'message' && f.data.text === 'hello');
    await ann.next((f) => f.event === 'message' && f.data.text === 'hello');
    assert.equal(
      (await ann.request('dm', { to: 'bob', text: 'psst' })).event,
      'sent',
    );
    await bob.next((f) => f.event === 'dm');

    const expected: Record<string, number> = {
      chat_sessions: 2,
      'chat_logins_total{result="ok"}': 3,
      'chat_logins_total{result="failed"}': 1,
      'chat_messages_published_total{event="message"}': 1,
      'chat_messages_published_total{event="dm"}': 1,
      'chat_messages_delivered_total{event="message"}': 2,
      'chat_messages_delivered_total{event="dm"}': 1,
      'chat_bus_lag_seconds_count{event="chat.message"}': 1,
    };
    let metrics = await scrape();
    assert.deepEqual(
      Object.fromEntries(
        Object.keys(expected).map((name) => [name, metrics.get(name)]),
      ),
      expected,
    );
    assert.ok(
      (metrics.get('chat_bus_lag_seconds_count{event="chat.probe"}') ?? 0) >= 1,
    );

    // Two over the burst: two refusals, one short of RATE_LIMIT_STRIKES (3), which would close the socket.
    for (let i = 0; i < 22; i++) bob.emit('who');
    const limited = await waitFor(
      () => {
        const errors = bob.all(
          (f) => f.event === 'error' && f.data.code === 'RATE_LIMITED',
        ).length;
        const answered = bob.all((f) => f.event === 'who').length;
        return errors + answered >= 22 && errors;
      },
      5000,
      'every who to be answered',
    );
    metrics = await scrape();
    assert.equal(metrics.get('chat_frames_rate_limited_total'), limited);

    await ann.close();
    await waitFor(
      async () => (await scrape()).get('chat_sessions') === 1,
      5000,
      'the closed session to be counted',
    );
  });

  it('labels by event type only, never by user or room', async () => {
    const text = (await httpsText(gateway.port, '/metrics', BEARER)).text;
    assert.doesNotMatch(text, /ann|bob|mallory|global/);
    const labels = new Set(
      [...text.matchAll(/^chat_\w+\{([^}]*)\}/gm)].flatMap((m) =>
        m[1].split(',').map((pair) => pair.split('=')[0]),
      ),
    );
    assert.deepEqual([...labels].sort(), ['event', 'kind', 'le', 'result']);
  });
});
