import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpException, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle.service';
import { UsersService } from './users.service';

class FakeUsers {
  readonly hashes = new Map<string, string>();
  async passwordHash(name: string): Promise<string | null> {
    return this.hashes.get(name) ?? null;
  }
  async create(name: string, hash: string): Promise<boolean> {
    if (this.hashes.has(name)) return false;
    this.hashes.set(name, hash);
    return true;
  }
}

class FakeThrottle {
  readonly failures = new Map<string, number>();
  async retryAfter(username: string, address: string): Promise<number> {
    return (this.failures.get(`${username}@${address}`) ?? 0) >= 3 ? 60 : 0;
  }
  async recordFailure(username: string, address: string): Promise<void> {
    this.failures.set(`${username}@${address}`, (this.failures.get(`${username}@${address}`) ?? 0) + 1);
  }
}

describe(AuthService.name, () => {
  const users = new FakeUsers();
  const throttle = new FakeThrottle();
  const jwt = new JwtService({ secret: 'a-test-secret-that-is-long-enough!!', signOptions: { expiresIn: 60 } });
  const sut = new AuthService(users as unknown as UsersService, jwt, throttle as unknown as LoginThrottle);

  it('registers a new name on first login, storing only an argon2id hash', async () => {
    const first = await sut.login('ann', 'pw1', 'ip1');
    assert.equal(first.created, true);
    assert.match(users.hashes.get('ann')!, /^\$argon2id\$/);
    assert.ok(!users.hashes.get('ann')!.includes('pw1'));
    assert.equal((await sut.verify(first.token))?.sub, 'ann');
    assert.equal((await sut.login('ann', 'pw1', 'ip1')).created, false);
  });

  it('refuses a wrong password with the same message whoever asks', async () => {
    await sut.login('bob', 'right', 'ip1');
    await assert.rejects(sut.login('bob', 'wrong', 'ip1'), (err: unknown) => err instanceof UnauthorizedException && err.message === 'Wrong username or password');
  });

  it('refuses a name and address with too many failed logins, even with the right password, but not others', async () => {
    await sut.login('cat', 'right', 'ip1');
    for (let i = 0; i < 3; i++) await assert.rejects(sut.login('cat', 'guess', 'ip1'), UnauthorizedException);
    await assert.rejects(sut.login('cat', 'right', 'ip1'), (err: unknown) => err instanceof HttpException && err.getStatus() === 429);
    assert.equal((await sut.login('cat', 'right', 'ip2')).username, 'cat');
    assert.equal(throttle.failures.get('cat@ip2'), undefined, 'a success is never counted');
  });

  it('rejects missing, forged and foreign tokens', async () => {
    const other = new JwtService({ secret: 'another-secret-of-another-cluster!!' });
    assert.equal(await sut.verify(undefined), null);
    assert.equal(await sut.verify('not.a.jwt'), null);
    assert.equal(await sut.verify(await other.signAsync({ sub: 'ann' })), null);
    assert.equal(await sut.verify(await jwt.signAsync({ notSub: 1 })), null);
  });
});
