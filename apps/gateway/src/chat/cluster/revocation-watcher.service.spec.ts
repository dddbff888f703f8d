import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TokenClaims, TokenRevocations } from '@app/auth';

import { ChatSession } from '../delivery/chat-session';
import { RevocationWatcher } from './revocation-watcher.service';
import { FakeBusInterest } from '../delivery/bus-interest.fake';
import { SessionRegistry } from '../delivery/session-registry.service';
import { fakeLink } from '../delivery/session-link.fake';

class FakeSession extends ChatSession {
  readonly frames: string[] = [];
  closedWith?: number;

  constructor(id: string, username: string, exp = Number.MAX_SAFE_INTEGER) {
    const link = fakeLink(
      (frame) => this.frames.push(String(frame)),
      (code) => (this.closedWith = code),
    );
    super(id, username, { sub: username, iat: 1, exp, jti: `jti-${id}` }, link);
  }
}

class FakeRevocations {
  revoked = new Set<string>();
  calls = 0;
  failing = false;
  marked: string | null = null;

  async mark(): Promise<string | null> {
    if (this.failing) throw new Error('Connection is closed.');
    return this.marked;
  }

  revoke(jti: string): void {
    this.revoked.add(jti);
    this.marked = String(Number(this.marked) + 1);
  }

  async revokedAmong(claims: TokenClaims[]): Promise<Set<string>> {
    this.calls++;
    if (this.failing) throw new Error('Connection is closed.');
    return new Set(
      claims.map((c) => c.jti).filter((jti) => this.revoked.has(jti)),
    );
  }
}

describe(RevocationWatcher.name, () => {
  const setUp = () => {
    const registry = new SessionRegistry(new FakeBusInterest());
    const revocations = new FakeRevocations();
    const sessions = [
      new FakeSession('1', 'ann'),
      new FakeSession('2', 'ann'),
      new FakeSession('3', 'bob'),
    ];
    sessions.forEach((session) => registry.add(session));
    return {
      sut: new RevocationWatcher(
        registry,
        revocations as unknown as TokenRevocations,
      ),
      revocations,
      sessions,
    };
  };

  it('closes the sessions whose token is revoked with an UNAUTHORIZED frame and 4401, once, in one lookup', async () => {
    const { sut, revocations, sessions } = setUp();
    revocations.revoked.add('jti-2');
    await sut.check();
    assert.equal(revocations.calls, 1);
    assert.equal(sessions[1].closedWith, 4401);
    assert.match(sessions[1].frames[0], /"code":"UNAUTHORIZED"/);
    assert.equal(sessions[0].closedWith, undefined);
    assert.equal(sessions[2].closedWith, undefined);
    await sut.check();
    assert.equal(
      sessions[1].frames.length,
      1,
      'a session being closed is not checked again',
    );
  });

  it('looks the tokens up again only when the revocation mark moves', async () => {
    const { sut, revocations, sessions } = setUp();
    await sut.check();
    await sut.check();
    assert.equal(revocations.calls, 1, 'the mark stayed: no lookup');
    revocations.revoke('jti-3');
    await sut.check();
    assert.equal(revocations.calls, 2);
    assert.equal(sessions[2].closedWith, 4401);
  });

  it('closes nobody while Redis cannot answer', async () => {
    const { sut, revocations, sessions } = setUp();
    revocations.revoked.add('jti-1');
    revocations.failing = true;
    await sut.check();
    assert.ok(sessions.every((session) => session.closedWith === undefined));
  });

  it('closes a session whose token has expired, idle or not, even while Redis cannot answer', async () => {
    const { revocations, sessions } = setUp();
    const registry = new SessionRegistry(new FakeBusInterest());
    const expired = new FakeSession('4', 'cy', Date.now() / 1000 - 1);
    registry.add(expired);
    registry.add(sessions[0]);
    revocations.failing = true;
    const sut = new RevocationWatcher(
      registry,
      revocations as unknown as TokenRevocations,
    );
    await sut.check();
    await sut.check();
    assert.equal(expired.closedWith, 4401);
    assert.deepEqual(
      expired.frames.map((frame) => JSON.parse(frame).data.message),
      ['Your login has expired: log in again'],
    );
    assert.equal(sessions[0].closedWith, undefined);
  });
});
