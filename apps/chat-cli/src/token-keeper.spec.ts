import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConnectError } from './connect-error';
import { TokenKeeper, TokenTimers } from './token-keeper';

/** Timers that run only when told to. */
class FakeTimers implements TokenTimers {
  clock = 1_000_000;
  readonly pending = new Map<number, { at: number; callback: () => void }>();
  private next = 0;

  now(): number {
    return this.clock;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    this.pending.set(++this.next, { at: this.clock + ms, callback });
    return this.next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** When the one pending timer is due, relative to now. */
  dueIn(): number | undefined {
    const [timer] = [...this.pending.values()];
    return timer && timer.at - this.clock;
  }
  /** Moves the clock to the pending timer and runs it. */
  async fire(): Promise<void> {
    const [[handle, timer]] = [...this.pending.entries()];
    this.pending.delete(handle);
    this.clock = timer.at;
    timer.callback();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const jwt = (claims: object): string =>
  ['{"alg":"HS256"}', JSON.stringify(claims), 'sig']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');

describe(TokenKeeper.name, () => {
  const setup = (answers: Array<string | undefined | Error> = []) => {
    const timers = new FakeTimers();
    const asked: string[] = [];
    const sut = new TokenKeeper(
      async (token) => {
        asked.push(token);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer;
      },
      0.8,
      timers,
    );
    const now = timers.clock / 1000;
    return {
      sut,
      timers,
      asked,
      token: (life = 100, n = 1) =>
        jwt({ sub: 'a', iat: now, exp: now + life, n }),
    };
  };

  it('reads iat and exp from the payload, and nothing from a token that is not a JWT', () => {
    assert.deepEqual(TokenKeeper.lifetime(jwt({ iat: 10, exp: 70 })), {
      issuedAt: 10_000,
      expiresAt: 70_000,
    });
    assert.deepEqual(TokenKeeper.lifetime('opaque'), {});
    assert.deepEqual(TokenKeeper.lifetime('a.!!!.c'), {});
  });

  it('refreshes at 80% of the life and keeps the fresh token, refreshing that one in turn', async () => {
    const { token } = setup();
    const first = token(100, 1);
    const fresh = token(100, 2);
    const { sut, timers, asked } = setup([fresh]);
    sut.keep(first);
    assert.equal(timers.dueIn(), 80_000);
    await timers.fire();
    assert.deepEqual(asked, [first]);
    assert.equal(sut.current, fresh);
    assert.equal(timers.pending.size, 1);
    sut.stop();
    assert.equal(timers.pending.size, 0);
  });

  it('forgets a token the server refuses to refresh (401)', async () => {
    const { sut, timers, token } = setup([
      new ConnectError('token', 'refused'),
    ]);
    sut.keep(token());
    await timers.fire();
    assert.equal(sut.current, undefined);
    assert.equal(timers.pending.size, 0);
  });

  it('keeps the token without more tries when the server has no refresh endpoint', async () => {
    const { sut, timers, token } = setup([undefined]);
    const kept = token();
    sut.keep(kept);
    await timers.fire();
    assert.equal(sut.current, kept);
    assert.equal(timers.pending.size, 0);
  });

  it('tries again at half the remaining life after a network failure', async () => {
    const { sut, timers, asked, token } = setup([
      new ConnectError('network', 'down'),
    ]);
    sut.keep(token(100));
    await timers.fire();
    assert.equal(timers.dueIn(), 10_000);
    await timers.fire();
    assert.equal(asked.length, 2);
  });

  it('forgets only the token it was told about', () => {
    const { sut, token } = setup();
    const kept = token();
    sut.keep(kept);
    sut.forget('another');
    assert.equal(sut.current, kept);
    sut.forget(kept);
    assert.equal(sut.current, undefined);
  });

  it('reconnects with the kept token while it is fresh, refreshing it first (at the given instance) once due', async () => {
    const { token } = setup();
    const fresh = token(100, 2);
    const { sut, timers, asked } = setup();
    const kept = token(100, 1);
    sut.keep(kept);
    const via: string[] = [];
    const refreshAt = (name: string) => async (t: string) => {
      via.push(`${name}:${t === kept}`);
      return fresh;
    };
    assert.equal(await sut.usable(refreshAt('west')), kept);
    assert.deepEqual(via, [], 'not due yet: no refresh');
    timers.clock += 85_000;
    assert.equal(await sut.usable(refreshAt('west')), fresh);
    assert.deepEqual(via, ['west:true']);
    assert.deepEqual(asked, [], 'the scheduled refresh was not used');
  });

  it('needs the password only once the token expired or was refused', async () => {
    const { sut, timers, token } = setup();
    sut.keep(token(100));
    timers.clock += 90_000;
    assert.equal(
      await sut.usable(async () => {
        throw new ConnectError('token', 'refused');
      }),
      undefined,
    );
    const kept = token(100, 3);
    sut.keep(kept);
    assert.equal(
      await sut.usable(async () => {
        throw new ConnectError('network', 'down');
      }),
      kept,
      'still valid: tried as it is',
    );
    timers.clock += 20_000;
    assert.equal(await sut.usable(async () => 'never asked'), undefined);
  });
});
