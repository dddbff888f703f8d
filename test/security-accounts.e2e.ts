import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import * as argon2 from 'argon2';
import Redis from 'ioredis';

import { ChatClient, httpsJson, HttpReply, login } from './support/chat-client';
import {
  ADMIN_TOKEN,
  CA,
  GatewayProcess,
  ROOT,
} from './support/gateway-process';
import { sleep } from './support/ports';
import { TestRedis } from './support/redis-server';

/** Distinctive, so that a leak into a log or Redis is found by a plain search. */
const PW = `pw-${randomUUID()}`;
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ORIGIN = 'https://chat.example.com';
const OPEN = { ALLOWED_ORIGINS: ORIGIN, HTTP_HEADERS_TIMEOUT_MS: '1500' };

const post = (
  gateway: GatewayProcess,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply> => httpsJson(gateway.port, 'POST', path, body, headers);

const assertRetryAfter = (reply: HttpReply): void => {
  assert.match(
    String(reply.headers['retry-after']),
    /^[1-9]\d*$/,
    `Retry-After on ${reply.status} ${JSON.stringify(reply.body)}`,
  );
};

describe('accounts and logins hold against guessing, bursts and foreign pages', () => {
  let redis: TestRedis;
  let store: Redis;
  /** The closed-registration cluster: its rules differ, so it has a Redis of its own. */
  let closedRedis: TestRedis;
  let closedStore: Redis;
  let open: GatewayProcess;
  let open2: GatewayProcess;
  let closed: GatewayProcess;
  let tight: GatewayProcess;
  let control: ChatClient;
  const clients: ChatClient[] = [];
  const tokens: string[] = [];

  const connect = async (
    gateway: GatewayProcess,
    user: string,
  ): Promise<ChatClient> => {
    const client = await ChatClient.connect(gateway, user, PW);
    clients.push(client);
    return client;
  };
  const clearThrottles = async (): Promise<void> => {
    const keys = [
      ...(await store.keys('auth:{*}:failures*')),
      ...(await store.keys('auth:{a:*}:registrations')),
    ];
    if (keys.length > 0) await store.del(...keys);
  };
  const assertControlStillChats = async (): Promise<void> => {
    assert.equal(
      (await control.request('send', { text: 'still here' })).event,
      'sent',
    );
  };

  before(async () => {
    [redis, closedRedis] = await Promise.all([
      TestRedis.start(),
      TestRedis.start(),
    ]);
    store = new Redis(redis.url);
    closedStore = new Redis(closedRedis.url);
    [open, open2, closed, tight] = await Promise.all([
      GatewayProcess.start(redis.url, OPEN),
      GatewayProcess.start(redis.url, OPEN),
      GatewayProcess.start(closedRedis.url, {
        REGISTRATION: 'closed',
        PASSWORD_MIN_LENGTH: '8',
        HASH_CONCURRENCY: '1',
        HASH_QUEUE_LIMIT: '2',
      }),
      GatewayProcess.start(redis.url, {
        LOGIN_MAX_FAILURES_PER_ADDRESS: '5',
        REGISTRATIONS_PER_ADDRESS: '3',
      }),
    ]);
    control = await connect(open, 'control');
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([open, open2, closed, tight].map((g) => g?.stop()));
    await Promise.all([store?.quit(), closedStore?.quit()]);
    await Promise.all([redis?.stop(), closedRedis?.stop()]);
  });

  it('treats usernames case-insensitively: the first registration owns the name, shown as registered', async () => {
    const first = await login(open, 'alice', PW);
    assert.deepEqual([first.username, first.created], ['alice', true]);
    const again = await login(open2, 'Alice', PW);
    assert.deepEqual([again.username, again.created], ['alice', false]);
    tokens.push(first.token, again.token);
    const impostor = await post(open, '/auth/login', {
      username: 'ALICE',
      password: 'another-password',
    });
    assert.equal(impostor.status, 401);

    const bob = await connect(open2, 'Bob');
    const welcome = bob.frames.find((f) => f.event === 'welcome')!;
    assert.equal(welcome.data.username, 'Bob');
    const alice = await connect(open, 'ALICE');
    assert.equal(
      alice.frames.find((f) => f.event === 'welcome')!.data.username,
      'alice',
    );
    const sent = await alice.request('dm', { to: 'bob', text: 'psst' });
    assert.equal(sent.event, 'sent');
    assert.equal(sent.data.to, 'Bob');
    await bob.next(
      (f) => f.event === 'dm' && f.data.from === 'alice' && f.data.to === 'Bob',
    );
    assert.equal(
      (await alice.request('subscribe', { user: 'BOB' })).data.user,
      'Bob',
    );
    assert.equal(
      (await alice.request('dm', { to: 'Alice', text: 'me' })).data.code,
      'BAD_REQUEST',
    );
    assert.deepEqual((await store.keys('auth:{u:*alice*}:account')).sort(), [
      'auth:{u:alice}:account',
    ]);
    await assertControlStillChats();
  });

  it('with REGISTRATION=closed, answers an unknown user exactly as a wrong password, and only an admin creates accounts', async () => {
    const unknown = await post(closed, '/auth/login', {
      username: 'newbie',
      password: PW,
    });
    assert.equal(unknown.status, 401);
    assert.equal(await closedStore.exists('auth:{u:newbie}:account'), 0);

    assert.equal(
      (await post(closed, '/admin/users', { username: 'Dana', password: PW }))
        .status,
      401,
    );
    assert.equal(
      (
        await post(
          closed,
          '/admin/users',
          { username: 'Dana', password: PW },
          { authorization: 'Bearer wrong-admin-token' },
        )
      ).status,
      401,
    );
    const created = await post(
      closed,
      '/admin/users',
      { username: 'Dana', password: PW },
      ADMIN,
    );
    assert.deepEqual(
      [created.status, created.body],
      [201, { username: 'Dana' }],
    );
    const taken = await post(
      closed,
      '/admin/users',
      { username: 'dana', password: PW },
      ADMIN,
    );
    assert.equal(taken.status, 409);
    assert.match(taken.body.message, /exists already/);
    const short = await post(
      closed,
      '/admin/users',
      { username: 'Eli', password: 'short' },
      ADMIN,
    );
    assert.equal(short.status, 400);
    assert.match(short.body.message, /at least 8 characters/);

    const wrong = await post(closed, '/auth/login', {
      username: 'dana',
      password: 'not-her-password',
    });
    assert.deepEqual(
      [wrong.status, wrong.body],
      [unknown.status, unknown.body],
      'same status and body',
    );
    assert.equal((await login(closed, 'DANA', PW)).username, 'Dana');

    const added = spawnSync(
      process.execPath,
      [join(ROOT, 'scripts', 'user-add.js'), 'Carl', '--password-stdin'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          REDIS_URL: closedRedis.url,
          PASSWORD_MIN_LENGTH: '8',
        },
        input: `${PW}\n`,
        encoding: 'utf8',
        timeout: 15000,
      },
    );
    assert.equal(added.status, 0, added.stderr);
    assert.equal(added.stdout.trim(), 'Created user "Carl"');
    assert.equal((await login(closed, 'carl', PW)).username, 'Carl');
    await assertControlStillChats();
  });

  it('refuses a password over 1024 bytes (UTF-8) with 400, before hashing', async () => {
    const tooLong = await post(open, '/auth/login', {
      username: 'longpw',
      password: 'é'.repeat(513),
    });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body.message, /at most 1024 bytes/);
    assert.equal(await store.exists('auth:{u:longpw}:account'), 0);
    assert.equal(
      (
        await post(open, '/auth/login', {
          username: 'longpw',
          password: 'é'.repeat(512),
        })
      ).status,
      200,
    );
    await assertControlStillChats();
  });

  it('verifies hashes made with older parameters, and old mixed-case accounts, redoing the hash at that login', async () => {
    await store.hset(
      'chat:user:veteran',
      'name',
      'veteran',
      'hash',
      await argon2.hash(PW, { type: argon2.argon2id }),
    );
    await store.hset(
      'chat:user:OldTimer',
      'hash',
      await argon2.hash(PW, { type: argon2.argon2id }),
      'createdAt',
      1,
    );
    assert.equal((await login(open, 'veteran', PW)).username, 'veteran');
    assert.match(
      (await store.hget('auth:{u:veteran}:account', 'hash'))!,
      /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/,
    );
    assert.equal((await login(open, 'OldTimer', PW)).username, 'OldTimer');
    assert.equal(
      (await login(open, 'oldtimer', PW)).username,
      'OldTimer',
      'found in any case once moved',
    );
    assert.deepEqual(await store.hmget('auth:{u:oldtimer}:account', 'name'), [
      'OldTimer',
    ]);
    await assertControlStillChats();
  });

  it('lets at most LOGIN_MAX_FAILURES of 100 parallel guesses over two instances reach the password check', async () => {
    await clearThrottles();
    await login(open, 'target', PW);
    const guesses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post(i % 2 ? open : open2, '/auth/login', {
          username: 'target',
          password: `guess-${i}`,
        }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    assert.equal(
      statuses.filter((s) => s === 401).length,
      10,
      `statuses: ${statuses.join(' ')}`,
    );
    assert.equal(statuses.filter((s) => s === 429).length, 90);
    guesses.filter((g) => g.status === 429).forEach(assertRetryAfter);

    const locked = await post(open, '/auth/login', {
      username: 'target',
      password: PW,
    });
    assert.equal(locked.status, 429, 'even the right password waits');
    assert.match(
      locked.body.message,
      /Too many failed logins for "target": try again in \d+ s/,
    );
    assertRetryAfter(locked);
    assert.match(
      open.log + open2.log,
      /lockout user=target address=\S+ instance=\S+/,
    );
    await assertControlStillChats();
  });

  it('limits failed logins per address across names, and new accounts per address, with Retry-After', async () => {
    await clearThrottles();
    for (const name of ['fa', 'fb', 'fc', 'fd', 'fe']) {
      assert.equal(
        (
          await post(
            tight,
            '/admin/users',
            { username: name, password: PW },
            ADMIN,
          )
        ).status,
        201,
      );
      assert.equal(
        (
          await post(tight, '/auth/login', {
            username: name,
            password: 'guess',
          })
        ).status,
        401,
      );
    }
    const sixth = await post(tight, '/auth/login', {
      username: 'ff',
      password: 'guess',
    });
    assert.equal(sixth.status, 429);
    assert.match(
      sixth.body.message,
      /Too many failed logins from your address: try again in \d+ s/,
    );
    assertRetryAfter(sixth);

    await clearThrottles();
    for (const name of ['ra', 'rb', 'rc'])
      assert.equal(
        (await post(tight, '/auth/login', { username: name, password: PW }))
          .status,
        200,
      );
    const fourth = await post(tight, '/auth/login', {
      username: 'rd',
      password: PW,
    });
    assert.equal(fourth.status, 429);
    assert.match(
      fourth.body.message,
      /Too many new accounts from your address: try again in \d+ s/,
    );
    assertRetryAfter(fourth);
    assert.equal(await store.exists('auth:{u:rd}:account'), 0);
    await clearThrottles();
    await assertControlStillChats();
  });

  it('answers a login burst beyond the hashing queue with 503 and Retry-After, never 500', async () => {
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(closed, '/auth/login', { username: `burst${i}`, password: PW }),
      ),
    );
    const statuses = burst.map((b) => b.status);
    assert.ok(statuses.includes(503), `statuses: ${statuses.join(' ')}`);
    assert.ok(
      statuses.every((s) => s === 401 || s === 503),
      `statuses: ${statuses.join(' ')}`,
    );
    burst
      .filter((b) => b.status === 503)
      .forEach((b) => {
        assertRetryAfter(b);
        assert.match(b.body.message, /busy .* try again in \d+ s/);
      });
    assert.equal(
      (await login(closed, 'Dana', PW)).username,
      'Dana',
      'the queue drains',
    );
    await assertControlStillChats();
  });

  it('refuses logins from foreign pages with 403, and answers listed origins and its own with CORS (never *)', async () => {
    const foreign = await post(
      open,
      '/auth/login',
      { username: 'alice', password: PW },
      { origin: 'https://evil.example' },
    );
    assert.equal(foreign.status, 403);
    assert.match(foreign.body.message, /ALLOWED_ORIGINS/);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);

    const listed = await post(
      open,
      '/auth/login',
      { username: 'alice', password: PW },
      { origin: ORIGIN },
    );
    assert.equal(listed.status, 200);
    assert.equal(listed.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(listed.headers.vary), /Origin/);
    const own = `https://localhost:${open.port}`;
    const preflight = await httpsJson(
      open.port,
      'OPTIONS',
      '/auth/login',
      undefined,
      { origin: own, 'access-control-request-method': 'POST' },
    );
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], own);
    assert.match(
      String(preflight.headers['access-control-allow-headers']),
      /Authorization/,
    );
    assert.equal(
      (await post(open, '/auth/login', { username: 'alice', password: PW }))
        .status,
      200,
      'no Origin: chat-cli, curl',
    );
    await assertControlStillChats();
  });

  it('cuts off clients that dribble their headers, while others still log in', async () => {
    const dribblers = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<ReturnType<typeof tlsConnect>>((resolve, reject) => {
            const socket = tlsConnect(
              { host: 'localhost', port: open.port, ca: CA },
              () => resolve(socket),
            );
            socket.once('error', reject);
          }),
      ),
    );
    const ended = dribblers.map(
      (socket) =>
        new Promise<string>((resolve) => {
          let reply = '';
          socket.on('data', (d) => (reply += d));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(reply));
        }),
    );
    dribblers.forEach((socket) =>
      socket.write('POST /auth/login HTTP/1.1\r\nHost: localhost\r\n'),
    );
    const timer = setInterval(
      () =>
        dribblers.forEach(
          (socket) => socket.writable && socket.write('X-Slow: 1\r\n'),
        ),
      300,
    );
    try {
      assert.equal(
        (await login(open, 'alice', PW)).username,
        'alice',
        'a new client gets through meanwhile',
      );
      const replies = await Promise.race([
        Promise.all(ended),
        sleep(10000).then(() => null),
      ]);
      assert.ok(replies, 'every dribbling connection was closed');
      assert.ok(
        replies.every(
          (reply) => reply === '' || reply.startsWith('HTTP/1.1 408'),
        ),
        replies.join('|'),
      );
    } finally {
      clearInterval(timer);
      dribblers.forEach((socket) => socket.destroy());
    }
    await assertControlStillChats();
  });

  it('writes one audit line per login, failure, lockout and registration, and never a password or token, in logs or Redis', async () => {
    const logs = [open, open2, closed, tight].map((g) => g.log).join('\n');
    assert.match(logs, /login ok user=alice address=\S+ instance=\S+/);
    assert.match(logs, /login failed user=target address=\S+ instance=\S+/);
    assert.match(logs, /registration user=Bob address=\S+ instance=\S+/);
    assert.match(
      logs,
      /registration \(admin\) user=Dana address=\S+ instance=\S+/,
    );
    assert.ok(!logs.includes(PW), 'no password in a log');
    for (const token of tokens)
      assert.ok(
        !logs.includes(token) && !logs.includes(token.split('.')[2]),
        'no token in a log',
      );

    const keys = await store.keys('*');
    const values: string[] = [];
    for (const key of keys) {
      const type = await store.type(key);
      if (type === 'string') values.push(String(await store.get(key)));
      if (type === 'hash')
        values.push(...Object.values(await store.hgetall(key)));
      if (type === 'set') values.push(...(await store.smembers(key)));
    }
    const everything = [...keys, ...values].join('\n');
    assert.ok(!everything.includes(PW), 'no password in Redis');
    for (const token of tokens)
      assert.ok(!everything.includes(token.split('.')[2]), 'no token in Redis');
    await assertControlStillChats();
  });
});

describe('cluster-wide account rules: guesses per account, registrations per hour, one policy', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  const RULES = {
    LOGIN_MAX_FAILURES: '3',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '6',
    REGISTRATIONS_PER_HOUR: '4',
  };
  const from = (
    address: string,
    username: string,
    password: string,
  ): Promise<HttpReply> =>
    httpsJson(
      gateway.port,
      'POST',
      '/auth/login',
      { username, password },
      {},
      address,
    );

  before(async () => {
    redis = await TestRedis.start();
    gateway = await GatewayProcess.start(redis.url, RULES);
  });

  after(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  it('limits guesses against one account across addresses; its owner still logs in from an address it used before', async () => {
    assert.equal((await from('127.0.0.1', 'victim', PW)).status, 200);
    for (const address of ['127.0.0.2', '127.0.0.3']) {
      const guesses = await Promise.all(
        [1, 2, 3].map((i) => from(address, 'victim', `guess-${i}`)),
      );
      assert.deepEqual(
        guesses.map((g) => g.status),
        [401, 401, 401],
      );
    }
    const locked = await from('127.0.0.4', 'victim', 'guess-7');
    assert.equal(locked.status, 429);
    assert.match(
      locked.body.message,
      /Too many failed logins for "victim" from many addresses: try again in \d+ s, or from an address this account logged in from before/,
    );
    assertRetryAfter(locked);
    assert.equal(
      (await from('127.0.0.5', 'victim', PW)).status,
      429,
      'a new address waits, even with the right password',
    );
    assert.equal(
      (await from('127.0.0.1', 'victim', PW)).status,
      200,
      'the owner at a known address is not locked out',
    );
    assert.match(
      gateway.log,
      /lockout user=victim \(addresses it never logged in from\)/,
    );
    assert.equal((await from('127.0.0.4', 'bystander', PW)).status, 200);
  });

  it('limits new accounts across all addresses (REGISTRATIONS_PER_HOUR), with Retry-After', async () => {
    // Two accounts were registered above (victim, bystander); the limit is four.
    for (const address of ['127.0.0.6', '127.0.0.7'])
      assert.equal(
        (await from(address, `new${address.split('.').pop()}`, PW)).status,
        200,
      );
    const refused = await from('127.0.0.8', 'one-too-many', PW);
    assert.equal(refused.status, 429);
    assert.match(
      refused.body.message,
      /Too many new accounts on this server in the last hour \(REGISTRATIONS_PER_HOUR\): try again in \d+ s/,
    );
    assertRetryAfter(refused);
    assert.equal(
      (await from('127.0.0.9', 'victim', PW)).status,
      429,
      'still locked: logins of existing accounts are not registrations',
    );
    assert.equal((await from('127.0.0.1', 'bystander', PW)).status, 200);
  });

  it('stops an instance whose REGISTRATION (or another cluster rule) differs, naming both values and the fix', async () => {
    await assert.rejects(
      GatewayProcess.start(redis.url, {
        ...RULES,
        REGISTRATION: 'closed',
        MAX_FOLLOWS_PER_USER: '7',
      }),
      (err: Error) => {
        assert.match(
          err.message,
          /gateway exited with 1[\s\S]*REGISTRATION is "closed" here but "open" in the cluster \(recorded in Redis at chat:{settings} by the first instance\): start this instance with REGISTRATION=open, or change it for the whole cluster with "redis-cli HSET chat:{settings} REGISTRATION closed" and restart every instance with REGISTRATION=closed/,
        );
        assert.match(err.message, /MAX_FOLLOWS_PER_USER is "7" here but "200"/);
        return true;
      },
    );
    const twin = await GatewayProcess.start(redis.url, RULES);
    await twin.stop();
  });
});
