import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, TestContext } from 'node:test';
import { JwtService } from '@nestjs/jwt';
import Redis from 'ioredis';

import {
  ChatClient,
  Frame,
  httpsJson,
  HttpReply,
  login,
  upgradeStatus,
} from './support/chat-client';
import { ADMIN_TOKEN, GatewayProcess } from './support/gateway-process';
import { sleep, waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const SECRET = 'security-tokens-e2e-secret-0123456789';
const PW = `pw-${randomUUID()}`;
const SETTINGS = {
  CHAT_JWT_SECRET: SECRET,
  REDIS_RETRY_DELAY_MS: '200',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  HEARTBEAT_INTERVAL_MS: '500',
};

const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});

describe('tokens expire, refresh and log out across instances', () => {
  let redis: TestRedis;
  let east: GatewayProcess;
  let west: GatewayProcess;
  let control: ChatClient;
  const clients: ChatClient[] = [];
  const jwt = new JwtService({ secret: SECRET });

  const open = async (
    gateway: GatewayProcess,
    user: string,
    token: string,
  ): Promise<ChatClient> => {
    const client = await ChatClient.open(gateway, user, token);
    clients.push(client);
    await client.next((f) => f.event === 'welcome');
    return client;
  };
  const me = (gateway: GatewayProcess, token: string): Promise<HttpReply> =>
    httpsJson(gateway.port, 'GET', '/auth/me', undefined, bearer(token));
  const assertControlStillChats = async (): Promise<void> => {
    assert.equal(
      (await control.request('send', { text: 'still here' })).event,
      'sent',
    );
  };
  /** Waits for the 4401 close, reporting how long it took (no timing assertion: the wait's timeout is the bound). */
  const closedUnauthorized = async (
    t: TestContext,
    client: ChatClient,
    since: number,
  ): Promise<void> => {
    const closed = await client.waitClosed(5000);
    t.diagnostic(
      `${client.username} closed ${Date.now() - since} ms after the logout`,
    );
    assert.equal(closed.code, 4401);
    const error = client.frames.find((f: Frame) => f.event === 'error');
    assert.equal(error?.data.code, 'UNAUTHORIZED');
  };

  before(async () => {
    redis = await TestRedis.start();
    [east, west] = await Promise.all([
      GatewayProcess.start(redis.url, SETTINGS),
      GatewayProcess.start(redis.url, SETTINGS),
    ]);
    control = await ChatClient.connect(east, 'control', PW);
    clients.push(control);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([east?.stop(), west?.stop()]);
    await redis?.stop();
  });

  it('refuses tokens without exp or jti, and tokens of users who do not exist, over HTTP and WebSocket', async () => {
    await login(east, 'real', PW);
    const now = Date.now() / 1000;
    const forged = {
      noExp: await jwt.signAsync({ sub: 'real', jti: randomUUID(), iat: now }),
      noJti: await jwt.signAsync({ sub: 'real', iat: now }, { expiresIn: 600 }),
      ghost: await jwt.signAsync(
        { sub: 'ghost', jti: randomUUID(), iat: now },
        { expiresIn: 600 },
      ),
    };
    for (const [what, token] of Object.entries(forged)) {
      assert.equal((await me(east, token)).status, 401, what);
      assert.equal(
        (
          await httpsJson(
            west.port,
            'POST',
            '/auth/refresh',
            undefined,
            bearer(token),
          )
        ).status,
        401,
        what,
      );
      assert.equal(await upgradeStatus(west, bearer(token)), 401, what);
    }
    const store = new Redis(redis.url);
    const ep = String(await store.get('chat:epoch')).split(':')[0];
    await store.quit();
    const good = await jwt.signAsync(
      { sub: 'real', jti: randomUUID(), iat: now, ep },
      { expiresIn: 600 },
    );
    assert.equal(
      await upgradeStatus(west, bearer(good)),
      'open',
      'the same claims with exp, jti and the current epoch are fine',
    );
    const otherEpoch = await jwt.signAsync(
      { sub: 'real', jti: randomUUID(), iat: now, ep: 'another-data-set' },
      { expiresIn: 600 },
    );
    assert.equal(
      await upgradeStatus(west, bearer(otherEpoch)),
      401,
      'a token issued before Redis lost its data is refused',
    );
    await assertControlStillChats();
  });

  it('refreshes a token on any instance; the old one keeps working until it expires', async () => {
    const first = await login(east, 'fresh', PW);
    const refreshed = await httpsJson(
      west.port,
      'POST',
      '/auth/refresh',
      undefined,
      bearer(first.token),
    );
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.body.username, 'fresh');
    assert.notEqual(refreshed.body.token, first.token);
    assert.deepEqual((await me(east, refreshed.body.token)).body, {
      username: 'fresh',
    });
    assert.equal((await me(west, first.token)).status, 200);
    await open(east, 'fresh', refreshed.body.token);
    await assertControlStillChats();
  });

  it('logs out one token: its sockets on every instance close with 4401, others of the user stay', async (t) => {
    const a = await login(east, 'walker', PW);
    const b = await login(west, 'walker', PW);
    const onEast = await open(east, 'walker-a-east', a.token);
    const onWest = await open(west, 'walker-a-west', a.token);
    const other = await open(east, 'walker-b', b.token);

    const loggedOutAt = Date.now();
    const reply = await httpsJson(
      west.port,
      'POST',
      '/auth/logout',
      undefined,
      bearer(a.token),
    );
    assert.equal(reply.status, 204);
    await Promise.all([
      closedUnauthorized(t, onEast, loggedOutAt),
      closedUnauthorized(t, onWest, loggedOutAt),
    ]);
    assert.equal((await me(east, a.token)).status, 401);
    assert.equal(await upgradeStatus(east, bearer(a.token)), 401);
    assert.equal(
      (await other.request('who')).event,
      'who',
      'the other token is untouched',
    );
    assert.equal((await me(west, b.token)).status, 200);
    assert.match(west.log, /logout user=walker address=\S+ instance=\S+/);
    await assertControlStillChats();
  });

  it('logs out every token of the user with ?all=1; a new login works right after', async (t) => {
    const b = await login(east, 'roamer', PW);
    const c = await login(west, 'roamer', PW);
    const sockets = [
      await open(east, 'roamer-b', b.token),
      await open(west, 'roamer-c', c.token),
    ];
    const loggedOutAt = Date.now();
    assert.equal(
      (
        await httpsJson(
          east.port,
          'POST',
          '/auth/logout?all=1',
          undefined,
          bearer(c.token),
        )
      ).status,
      204,
    );
    await Promise.all(
      sockets.map((socket) => closedUnauthorized(t, socket, loggedOutAt)),
    );
    assert.equal((await me(west, b.token)).status, 401);
    const again = await login(west, 'roamer', PW);
    assert.equal((await me(east, again.token)).status, 200);
    await open(west, 'roamer-again', again.token);
    await assertControlStillChats();
  });

  it('answers 503 with Retry-After while Redis is down, logs the outage once and its end, and closes sessions whose account vanished', async () => {
    const { token } = await login(west, 'watcher', PW);
    const watcher = await open(west, 'watcher', token);
    const logLength = [east.log.length, west.log.length];
    await redis.stop();
    const loginReply = await httpsJson(east.port, 'POST', '/auth/login', {
      username: 'control',
      password: PW,
    });
    assert.equal(loginReply.status, 503);
    assert.match(String(loginReply.headers['retry-after']), /^[1-9]\d*$/);
    assert.match(loginReply.body.message, /unreachable: try again in \d+ s/);
    const rooms = await httpsJson(
      west.port,
      'GET',
      '/rooms',
      undefined,
      bearer(ADMIN_TOKEN),
    );
    assert.equal(rooms.status, 503);
    assert.match(String(rooms.headers['retry-after']), /^[1-9]\d*$/);
    for (let i = 0; i < 5; i++)
      assert.equal((await me(east, token)).status, 503);
    await sleep(1500);

    await redis.restart();
    await waitFor(
      () => [east, west].every((g) => /Redis connection restored/.test(g.log)),
      10000,
      'the end of the outage to be logged',
    );
    for (const [i, gateway] of [east, west].entries()) {
      const outage = gateway.log.slice(logLength[i]);
      assert.equal(
        outage.match(/Redis connection lost/g)?.length,
        1,
        'the start is logged once',
      );
      assert.equal(
        outage.match(/Redis connection restored/g)?.length,
        1,
        'the end is logged once',
      );
      assert.doesNotMatch(
        outage,
        /ExceptionsHandler|RetryAfterFilter/,
        'no error per request',
      );
    }

    // The restarted Redis is empty: the accounts are gone, so their sessions are closed and their tokens refused.
    assert.equal((await watcher.waitClosed(5000)).code, 4401);
    assert.equal((await control.waitClosed(5000)).code, 4401);
    control = await ChatClient.connect(east, 'control', PW);
    clients.push(control);
    await assertControlStillChats();
  });
});
