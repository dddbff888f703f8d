import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  ChatClient,
  httpsJson,
  login,
  upgradeStatus,
} from './support/chat-client';
import { GatewayProcess } from './support/gateway-process';
import { sleep } from './support/ports';
import { TestRedis } from './support/redis-server';

describe('bad input gets the documented error, and the process stays up', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  let strict: GatewayProcess;
  let brief: GatewayProcess;
  const clients: ChatClient[] = [];
  const connect = async (
    gw: GatewayProcess,
    user: string,
  ): Promise<ChatClient> => {
    const client = await ChatClient.connect(gw, user);
    clients.push(client);
    return client;
  };

  before(async () => {
    redis = await TestRedis.start();
    [gateway, strict, brief] = await Promise.all([
      GatewayProcess.start(redis.url),
      GatewayProcess.start(redis.url, {
        RATE_LIMIT_BURST: '5',
        RATE_LIMIT_PER_SECOND: '2',
        LOGIN_MAX_FAILURES: '3',
      }),
      GatewayProcess.start(redis.url, { JWT_TTL_SECONDS: '2' }),
    ]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([gateway?.stop(), strict?.stop(), brief?.stop()]);
    await redis?.stop();
  });

  it('answers login mistakes with 400 naming the field and 401 that does not reveal the user', async () => {
    assert.equal((await login(gateway, 'zoe', 'right')).created, true);
    assert.equal((await login(gateway, 'zoe', 'right')).created, false);
    const wrong = await httpsJson(gateway.port, 'POST', '/auth/login', {
      username: 'zoe',
      password: 'wrong',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.message, 'Wrong username or password');
    const badName = await httpsJson(gateway.port, 'POST', '/auth/login', {
      username: 'a b',
      password: 'x',
    });
    assert.equal(badName.status, 400);
    assert.match(badName.body.message, /username/);
    const longPassword = await httpsJson(gateway.port, 'POST', '/auth/login', {
      username: 'zed',
      password: 'x'.repeat(1025),
    });
    assert.equal(longPassword.status, 400);
    assert.match(longPassword.body.message, /password/);
    const notJson = await httpsJson(
      gateway.port,
      'POST',
      '/auth/login',
      '{nope',
    );
    assert.equal(notJson.status, 400);
  });

  it('answers 429 after too many failed logins for a name, even with the right password', async () => {
    await login(strict, 'guarded', 'right');
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (
          await httpsJson(strict.port, 'POST', '/auth/login', {
            username: 'guarded',
            password: `guess${i}`,
          })
        ).status,
        401,
      );
    }
    const refused = await httpsJson(strict.port, 'POST', '/auth/login', {
      username: 'guarded',
      password: 'right',
    });
    assert.equal(refused.status, 429);
    assert.match(
      refused.body.message,
      /Too many failed logins for "guarded": try again in \d+ s/,
    );
    assert.equal(
      (
        await httpsJson(strict.port, 'POST', '/auth/login', {
          username: 'other-user',
          password: 'x',
        })
      ).status,
      200,
    );
  });

  it('refuses the upgrade with 401 for a missing, forged or expired token', async () => {
    const { token } = await login(gateway, 'tok');
    assert.equal(await upgradeStatus(gateway, {}), 401);
    assert.equal(
      await upgradeStatus(gateway, { authorization: 'Bearer not.a.jwt' }),
      401,
    );
    assert.equal(
      await upgradeStatus(gateway, {
        authorization: `Bearer ${token.slice(0, -2)}xx`,
      }),
      401,
    );
    assert.equal(await upgradeStatus(gateway, {}, `?token=${token}`), 401);
    const short = await login(brief, 'brief');
    await sleep(2200);
    assert.equal(
      await upgradeStatus(brief, { authorization: `Bearer ${short.token}` }),
      401,
    );
  });

  it('answers malformed frames with BAD_REQUEST and keeps the session usable', async () => {
    const c = await connect(gateway, 'clumsy');
    const errors = () => c.all((f) => f.event === 'error');
    c.sendRaw('{not json');
    await c.next(() => errors().length >= 1);
    assert.equal(errors()[0].data.code, 'BAD_REQUEST');
    assert.match(errors()[0].data.message, /Invalid JSON/);
    c.sendRaw(JSON.stringify({ data: { ref: 'r1' } }));
    c.sendRaw(JSON.stringify([1, 2]));
    c.sendRaw(JSON.stringify({ event: 'send', data: ['x'] }));
    c.sendRaw(Buffer.from([1, 2, 3]));
    await c.next(() => errors().length >= 5);
    assert.deepEqual(
      errors().map((e) => e.data.code),
      Array(5).fill('BAD_REQUEST'),
    );
    assert.match(errors()[1].data.message, /"event"/);

    const badRoom = await c.request('join', { room: 'no spaces' });
    assert.equal(badRoom.data.code, 'BAD_REQUEST');
    assert.match(badRoom.data.message, /room "no spaces" is invalid/);
    assert.equal(
      (await c.request('send', { text: '   ' })).data.code,
      'BAD_REQUEST',
    );
    assert.equal((await c.request('send', {})).data.code, 'BAD_REQUEST');
    assert.equal(
      (await c.request('send', { text: 42 })).data.code,
      'BAD_REQUEST',
    );
    assert.equal(
      (await c.request('who', { room: '' })).data.code,
      'BAD_REQUEST',
    );
    c.sendRaw(
      JSON.stringify({
        event: 'send',
        data: { text: 'x', ref: 'r'.repeat(65) },
      }),
    );
    await c.next(
      (f) => f.event === 'error' && /ref must be/.test(f.data.message),
    );

    const unknown = await c.request('shout', { text: 'hey' });
    assert.equal(unknown.event, 'error');
    assert.equal(unknown.data.code, 'UNKNOWN_EVENT');
    assert.match(unknown.data.message, /shout/);

    const tooLong = await c.request('send', { text: 'y'.repeat(2001) });
    assert.equal(tooLong.data.code, 'TOO_LARGE');
    assert.equal(
      (await c.request('send', { text: 'y'.repeat(2000) })).event,
      'sent',
    );
    assert.equal(
      (await c.request('send', { text: 'still fine' })).event,
      'sent',
    );
  });

  it('answers NOT_FOUND and BAD_REQUEST for DMs and subscriptions that cannot be, and stores a DM to an offline user', async () => {
    const c = await connect(gateway, 'asker');
    await login(gateway, 'sleeper');
    assert.equal(
      (await c.request('dm', { to: 'nobody-here', text: 'hi' })).data.code,
      'NOT_FOUND',
    );
    const offline = await c.request('dm', { to: 'sleeper', text: 'hi' });
    assert.equal(offline.event, 'sent');
    assert.equal(offline.data.delivered, false);
    assert.equal(
      (await c.request('subscribe', { user: 'nobody-here' })).data.code,
      'NOT_FOUND',
    );
    assert.equal(
      (await c.request('subscribe', { user: 'asker' })).data.code,
      'BAD_REQUEST',
    );
    assert.equal(
      (await c.request('unsubscribe', { user: 'nobody-here' })).data.code,
      'NOT_FOUND',
    );
    assert.equal(
      (await c.request('dm', { to: 'asker', text: 'me' })).data.code,
      'BAD_REQUEST',
    );
    assert.equal(
      (await c.request('subscribe', { user: 'sleeper' })).event,
      'subscribed',
    );
  });

  it('closes the socket with 1009 for a frame over 64 KiB, and nobody else notices', async () => {
    const big = await connect(gateway, 'bigmouth');
    const bystander = await connect(gateway, 'bystander');
    big.sendRaw(
      JSON.stringify({ event: 'send', data: { text: 'z'.repeat(70 * 1024) } }),
    );
    assert.equal((await big.waitClosed()).code, 1009);
    assert.equal(
      (await bystander.request('send', { text: 'all good' })).event,
      'sent',
    );
  });

  it('answers RATE_LIMITED past the burst, then lets the session go on', async () => {
    const fast = await connect(strict, 'speedy');
    // Two over the burst of 5: two strikes, one short of RATE_LIMIT_STRIKES (3), which would close the socket.
    const refs = Array.from({ length: 7 }, () => fast.emit('who'));
    const limited = await fast.next(
      (f) => f.event === 'error' && f.data.code === 'RATE_LIMITED',
    );
    assert.ok(
      refs.includes(limited.data.ref),
      'the error names the dropped frame',
    );
    await sleep(1200);
    assert.equal((await fast.request('who')).event, 'who');
    assert.ok(fast.all((f) => f.event === 'who').length <= 8);
  });

  it('answers UNAUTHORIZED and closes with 4401 once the token has expired', async () => {
    const { token } = await login(brief, 'expiring');
    const c = await ChatClient.open(brief, 'expiring', token);
    clients.push(c);
    await c.next((f) => f.event === 'welcome');
    await sleep(2200);
    // A frame after expiry is refused, unless the expiry check (once a second) closed the socket first.
    c.emit('who');
    await c.next(
      (f) => f.event === 'error' && f.data.code === 'UNAUTHORIZED',
      3000,
    );
    assert.equal((await c.waitClosed()).code, 4401);
  });
});
