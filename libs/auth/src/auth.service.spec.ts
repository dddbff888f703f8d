import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HttpException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import Redis from 'ioredis';

import { TestRedis } from '../../../test/support/redis-server';
import {
  ACCOUNT_DISABLED,
  AuthService,
  WRONG_CREDENTIALS,
} from './auth.service';
import { LoginThrottle } from './login-throttle.service';
import { PasswordHasher } from './password-hasher.service';
import { RetryLaterException } from './retry-later.exception';
import { TokenRevocations } from './token-revocations.service';
import { UsersService } from './users.service';
import { WsTickets } from './ws-tickets.service';

const SECRET = 'a-test-secret-that-is-long-enough!!';

const SETTINGS = {
  REGISTRATION: 'open',
  PASSWORD_MIN_LENGTH: 1,
  ARGON2_MEMORY_KIB: 1024,
  ARGON2_TIME_COST: 1,
  ARGON2_PARALLELISM: 1,
  HASH_CONCURRENCY: 2,
  HASH_QUEUE_LIMIT: 1000,
  LOGIN_MAX_FAILURES: 3,
  LOGIN_MAX_FAILURES_PER_ADDRESS: 1000,
  LOGIN_MAX_FAILURES_PER_ACCOUNT: 1000,
  LOGIN_FAILURE_WINDOW_SECONDS: 60,
  REGISTRATIONS_PER_ADDRESS: 1000,
  REGISTRATION_WINDOW_SECONDS: 3600,
  REGISTRATIONS_PER_HOUR: 1000,
  WS_TICKET_TTL_MS: 30000,
};

/** Counts the password checks, to see how many attempts reached one. */
class CountingHasher extends PasswordHasher {
  verifications = 0;
  verify(hash: string, password: string): Promise<boolean> {
    this.verifications++;
    return super.verify(hash, password);
  }
}

const isStatus = (status: number) => (err: unknown) =>
  err instanceof HttpException && err.getStatus() === status;

describe(AuthService.name, () => {
  let server: TestRedis;
  let redis: Redis;
  const jwt = new JwtService({
    secret: SECRET,
    signOptions: { expiresIn: 60 },
  });

  const build = async (overrides: Record<string, unknown> = {}) => {
    const config = new ConfigService({ ...SETTINGS, ...overrides });
    const hasher = new CountingHasher(config);
    await hasher.onModuleInit();
    const users = new UsersService(redis, config, hasher);
    const revocations = new TokenRevocations(redis);
    const sut = new AuthService(
      config,
      hasher,
      'test-instance',
      jwt,
      revocations,
      new LoginThrottle(redis, config),
      new WsTickets(redis, config),
      users,
    );
    return { sut, hasher, users, revocations };
  };

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
  });

  beforeEach(async () => {
    await redis.flushall();
  });

  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  it('registers a new name on first login with an argon2id hash of the configured parameters', async () => {
    const { sut } = await build();
    const first = await sut.login('Ann', 'pw1', 'ip1');
    assert.deepEqual([first.username, first.created], ['Ann', true]);
    const stored = await redis.hgetall('auth:{u:ann}:account');
    assert.equal(stored.name, 'Ann');
    assert.match(stored.hash, /^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    assert.ok(!JSON.stringify(stored).includes('pw1'));
    assert.equal((await sut.verify(first.token))?.sub, 'Ann');
  });

  it('treats names case-insensitively: the account registered first, under the name as registered', async () => {
    const { sut, users } = await build();
    await sut.login('alice', 'pw', 'ip1');
    const again = await sut.login('ALICE', 'pw', 'ip1');
    assert.deepEqual([again.username, again.created], ['alice', false]);
    await assert.rejects(
      sut.login('Alice', 'other', 'ip1'),
      UnauthorizedException,
    );
    assert.equal(await users.resolve('aLiCe'), 'alice');
    assert.equal(await users.resolve('nobody'), null);
    assert.deepEqual(await redis.keys('auth:{u:*}:account'), [
      'auth:{u:alice}:account',
    ]);
  });

  it('refuses a wrong password and an unknown user (registration closed) alike, each after one argon2 check', async () => {
    const { sut, hasher } = await build({ REGISTRATION: 'closed' });
    await assert.rejects(
      sut.login('ghost', 'pw', 'ip1'),
      (err: unknown) =>
        err instanceof UnauthorizedException &&
        err.message === WRONG_CREDENTIALS,
    );
    assert.equal(hasher.verifications, 1, 'the unknown user cost one verify');
    assert.equal(await redis.exists('auth:{u:ghost}:account'), 0);
    await sut.register('bob', 'right', 'admin');
    await assert.rejects(
      sut.login('bob', 'wrong', 'ip1'),
      (err: unknown) =>
        err instanceof UnauthorizedException &&
        err.message === WRONG_CREDENTIALS,
    );
    assert.equal(hasher.verifications, 2);
    assert.equal((await sut.login('BOB', 'right', 'ip1')).username, 'bob');
    await assert.rejects(sut.register('Bob', 'x', 'admin'), isStatus(409));
  });

  it('refuses a too short password at registration only', async () => {
    const { sut } = await build({ PASSWORD_MIN_LENGTH: 4 });
    await assert.rejects(
      sut.login('shorty', 'abc', 'ip1'),
      (err: unknown) =>
        isStatus(400)(err) &&
        /at least 4 characters/.test((err as Error).message),
    );
    await redis.hset(
      'chat:user:old',
      'name',
      'old',
      'hash',
      await argon2.hash('abc'),
    );
    assert.equal((await sut.login('old', 'abc', 'ip1')).username, 'old');
  });

  it('lets at most LOGIN_MAX_FAILURES of many parallel guesses reach the password check, and answers 429 with the wait', async () => {
    const { sut, hasher } = await build();
    await sut.login('cat', 'right', 'ip1');
    hasher.verifications = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        sut.login('cat', `guess${i}`, 'ip1'),
      ),
    );
    const reasons = results.map((r) =>
      r.status === 'rejected' ? r.reason : r.value,
    );
    assert.equal(
      reasons.filter((r) => r instanceof UnauthorizedException).length,
      3,
    );
    assert.equal(hasher.verifications, 3);
    const limited = reasons.filter(
      (r) => r instanceof RetryLaterException,
    ) as RetryLaterException[];
    assert.equal(limited.length, 27);
    assert.ok(
      limited.every(
        (r) =>
          r.getStatus() === 429 &&
          r.retryAfterSeconds > 0 &&
          /Too many failed logins for "cat": try again in \d+ s/.test(
            r.message,
          ),
      ),
    );
    await assert.rejects(sut.login('CAT', 'right', 'ip1'), isStatus(429));
    assert.equal(
      (await sut.login('cat', 'right', 'ip2')).username,
      'cat',
      'another address is not locked out',
    );
  });

  it('never counts a successful login', async () => {
    const { sut } = await build();
    for (let i = 0; i < 10; i++)
      assert.equal((await sut.login('dora', 'right', 'ip1')).username, 'dora');
    assert.equal(await redis.get('auth:{u:dora}:failures:ip1'), '0');
  });

  it('limits failed logins per address across names, and new accounts per address', async () => {
    const { sut } = await build({
      LOGIN_MAX_FAILURES_PER_ADDRESS: 4,
      REGISTRATIONS_PER_ADDRESS: 2,
    });
    await sut.register('eve', 'right', 'admin');
    for (const name of ['eve', 'eve', 'eve'])
      await assert.rejects(
        sut.login(name, 'wrong', 'ip9'),
        UnauthorizedException,
      );
    await sut.login('fay', 'pw', 'ip9');
    await assert.rejects(
      sut.login('fay', 'wrong', 'ip9'),
      UnauthorizedException,
    );
    await assert.rejects(
      sut.login('fay', 'wrong', 'ip9'),
      (err: unknown) =>
        err instanceof RetryLaterException &&
        /from your address/.test(err.message),
    );
    await sut.login('gus', 'pw', 'ip8');
    await sut.login('gil', 'pw', 'ip8');
    await assert.rejects(
      sut.login('hal', 'pw', 'ip8'),
      (err: unknown) =>
        isStatus(429)(err) && /new accounts/.test((err as Error).message),
    );
    assert.equal(await redis.exists('auth:{u:hal}:account'), 0);
  });

  it('limits failed logins per account across addresses, except from addresses the account logged in from', async () => {
    const { sut } = await build({ LOGIN_MAX_FAILURES_PER_ACCOUNT: 3 });
    await sut.login('kim', 'right', 'home');
    for (const address of ['a1', 'a2', 'a3'])
      await assert.rejects(
        sut.login('kim', 'wrong', address),
        UnauthorizedException,
      );
    const fromStranger = (err: unknown): boolean =>
      isStatus(429)(err) &&
      /for "kim" from many addresses: .*logged in from before/.test(
        (err as Error).message,
      );
    await assert.rejects(sut.login('kim', 'wrong', 'a4'), fromStranger);
    await assert.rejects(sut.login('kim', 'right', 'a5'), fromStranger);
    assert.equal((await sut.login('kim', 'right', 'home')).username, 'kim');
    await assert.rejects(
      sut.login('kim', 'wrong', 'home'),
      UnauthorizedException,
      'a known address is held only by the other limits',
    );
  });

  it('limits new accounts across all addresses (REGISTRATIONS_PER_HOUR)', async () => {
    const { sut } = await build({ REGISTRATIONS_PER_HOUR: 2 });
    await sut.login('n1', 'pw', 'x1');
    await sut.login('n2', 'pw', 'x2');
    await assert.rejects(
      sut.login('n3', 'pw', 'x3'),
      (err: unknown) =>
        isStatus(429)(err) &&
        /new accounts on this server in the last hour \(REGISTRATIONS_PER_HOUR\): try again in \d+ s/.test(
          (err as Error).message,
        ),
    );
    assert.equal((await sut.login('n1', 'pw', 'x3')).username, 'n1');
  });

  it('answers 503 with a wait when the hashing queue is full, without counting a failure', async () => {
    const { sut } = await build({
      HASH_CONCURRENCY: 1,
      HASH_QUEUE_LIMIT: 0,
      ARGON2_MEMORY_KIB: 8192,
      ARGON2_TIME_COST: 3,
      LOGIN_MAX_FAILURES: 100,
    });
    await sut.login('ivy', 'pw', 'ip1');
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => sut.login('ivy', 'pw', 'ip1')),
    );
    const busy = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    assert.ok(busy.length >= 1);
    assert.ok(
      busy.every(
        (err) =>
          err instanceof RetryLaterException &&
          err.getStatus() === 503 &&
          err.retryAfterSeconds >= 1,
      ),
    );
    assert.equal(await redis.get('auth:{u:ivy}:failures:ip1'), '0');
  });

  it('verifies a hash with other parameters and redoes it with the current ones at that login', async () => {
    const { sut } = await build();
    await redis.hset(
      'chat:user:jo',
      'name',
      'jo',
      'hash',
      await argon2.hash('pw', {
        type: argon2.argon2id,
        memoryCost: 2048,
        timeCost: 2,
      }),
    );
    assert.equal((await sut.login('jo', 'pw', 'ip1')).username, 'jo');
    assert.match(
      (await redis.hget('auth:{u:jo}:account', 'hash')) as string,
      /\$m=1024,p=1,t=1\$/,
    );
    assert.equal((await sut.login('jo', 'pw', 'ip1')).username, 'jo');
  });

  it('keeps an account made before names were case-insensitive, moving it to the lower-case key at its next login', async () => {
    const { sut, users } = await build();
    await redis.hset(
      'chat:user:Carol',
      'hash',
      await argon2.hash('pw'),
      'createdAt',
      1,
    );
    assert.equal(await users.resolve('Carol'), 'Carol');
    assert.equal((await sut.login('Carol', 'pw', 'ip1')).username, 'Carol');
    assert.deepEqual(await redis.keys('chat:user:*'), []);
    assert.deepEqual(await redis.keys('auth:{u:*}:account'), [
      'auth:{u:carol}:account',
    ]);
    const login = await sut.login('carol', 'pw', 'ip1');
    assert.equal(login.username, 'Carol');
    assert.equal((await sut.verify(login.token))?.sub, 'Carol');
  });

  it('refuses missing, forged and foreign tokens, tokens without exp or jti, and tokens of users who do not exist', async () => {
    const { sut } = await build();
    const { token } = await sut.login('kim', 'pw', 'ip1');
    const other = new JwtService({
      secret: 'another-secret-of-another-cluster!!',
    });
    const now = Date.now() / 1000;
    assert.ok(await sut.verify(token));
    assert.equal(await sut.verify(undefined), null);
    assert.equal(await sut.verify('not.a.jwt'), null);
    assert.equal(
      await sut.verify(
        await other.signAsync(
          { sub: 'kim', jti: 'x', iat: now },
          { expiresIn: 60 },
        ),
      ),
      null,
    );
    const forever = new JwtService({ secret: SECRET });
    assert.equal(
      await sut.verify(
        await forever.signAsync({ sub: 'kim', jti: 'x', iat: now }),
      ),
      null,
      'no exp',
    );
    assert.equal(
      await sut.verify(await jwt.signAsync({ sub: 'kim', iat: now })),
      null,
      'no jti',
    );
    assert.equal(
      await sut.verify(
        await jwt.signAsync({ sub: 'ghost', jti: 'x', iat: now }),
      ),
      null,
      'no such user',
    );
    assert.equal(
      await sut.verify(await jwt.signAsync({ sub: 'KIM', jti: 'x', iat: now })),
      null,
      'not the name as registered',
    );
  });

  it('refreshes a token and logs out one token or every token of the user', async () => {
    const { sut, revocations } = await build();
    const first = await sut.login('lee', 'pw', 'ip1');
    const second = await sut.login('lee', 'pw', 'ip1');
    const refreshed = await sut.refresh((await sut.verify(first.token))!);
    assert.equal(refreshed.username, 'lee');
    assert.notEqual(refreshed.token, first.token);
    const claims = await Promise.all(
      [first, second, refreshed].map((t) => sut.verify(t.token)),
    );
    assert.ok(claims.every(Boolean), 'the old token stays valid');

    await sut.logout(claims[0]!, false, 'ip1');
    assert.equal(await sut.verify(first.token), null);
    assert.ok(await sut.verify(second.token));
    assert.ok((await redis.ttl(`auth:{u:lee}:revoked:${claims[0]!.jti}`)) > 0);
    assert.deepEqual(
      await revocations.revokedAmong(claims.map((c) => c!)),
      new Set([claims[0]!.jti]),
    );

    await sut.logout(claims[1]!, true, 'ip1');
    assert.deepEqual(
      await revocations.revokedAmong(claims.map((c) => c!)),
      new Set(claims.map((c) => c!.jti)),
    );
    const after = await sut.login('lee', 'pw', 'ip1');
    assert.ok(
      await sut.verify(after.token),
      'a login right after logging out everywhere works',
    );
  });

  describe('WebSocket tickets', () => {
    const ticketUrl = (ticket: string): string =>
      `/ws?ticket=${encodeURIComponent(ticket)}`;

    it('lets a ticket open one upgrade only, as the user of its token', async () => {
      const { sut } = await build();
      const { token } = await sut.login('tia', 'pw', 'ip1');
      const { ticket, expiresInMs } = await sut.issueTicket(
        (await sut.verify(token))!,
      );
      assert.equal(expiresInMs, 30000);
      assert.doesNotMatch(ticket, /\./, 'a ticket is not a JWT');
      const first = await sut.authenticateUpgrade({}, ticketUrl(ticket));
      assert.equal(first.claims?.sub, 'tia');
      const again = await sut.authenticateUpgrade({}, ticketUrl(ticket));
      assert.match(
        String(again.refusal),
        /used or expired.*POST \/auth\/ticket/,
      );
    });

    it('refuses an expired ticket', async () => {
      const { sut } = await build({ WS_TICKET_TTL_MS: 50 });
      const { token } = await sut.login('tex', 'pw', 'ip1');
      const { ticket } = await sut.issueTicket((await sut.verify(token))!);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const late = await sut.authenticateUpgrade({}, ticketUrl(ticket));
      assert.equal(late.claims, undefined);
    });

    it('refuses the ticket of a token logged out since it was issued', async () => {
      const { sut } = await build();
      const { token } = await sut.login('tlo', 'pw', 'ip1');
      const claims = (await sut.verify(token))!;
      const { ticket } = await sut.issueTicket(claims);
      await sut.logout(claims, false, 'ip1');
      const after = await sut.authenticateUpgrade({}, ticketUrl(ticket));
      assert.equal(after.claims, undefined);
    });

    it('refuses a token in the URL by name, and still takes the header', async () => {
      const { sut } = await build();
      const { token } = await sut.login('turl', 'pw', 'ip1');
      const inUrl = await sut.authenticateUpgrade({}, `/ws?token=${token}`);
      assert.equal(inUrl.claims, undefined);
      assert.match(String(inUrl.refusal), /token in the URL is not accepted/);
      const header = await sut.authenticateUpgrade(
        { authorization: `Bearer ${token}` },
        '/ws',
      );
      assert.equal(header.claims?.sub, 'turl');
    });

    it('refuses the token and the ticket of a disabled account with 403, and a logged-out token with 401, from one read of the account', async () => {
      const { sut, users } = await build();
      const { token } = await sut.login('tdis', 'pw', 'ip1');
      const claims = (await sut.verify(token))!;
      const { ticket } = await sut.issueTicket(claims);
      const bearer = { authorization: `Bearer ${token}` };
      await users.setDisabled('tdis', true);
      for (const refused of [
        await sut.authenticateUpgrade(bearer, '/ws'),
        await sut.authenticateUpgrade({}, ticketUrl(ticket)),
      ]) {
        assert.equal(refused.claims, undefined);
        assert.equal(refused.status, 403);
        assert.equal(refused.refusal, ACCOUNT_DISABLED);
      }
      await users.setDisabled('tdis', false);
      assert.equal(
        (await sut.authenticateUpgrade(bearer, '/ws')).claims?.sub,
        'tdis',
      );
      await sut.logout(claims, false, 'ip1');
      const out = await sut.authenticateUpgrade(bearer, '/ws');
      assert.equal(out.status, undefined);
      assert.equal(out.refusal, 'Unauthorized: log in again');
    });
  });
});
