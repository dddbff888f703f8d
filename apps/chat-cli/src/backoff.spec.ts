import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Backoff, DEFAULT_BACKOFF } from './backoff';

describe(Backoff.name, () => {
  it('doubles the ceiling each attempt, up to the maximum', () => {
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 6 }, () => 1);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => sut.delay(n)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it('jitters over the whole range, from nothing to the ceiling', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 3 }, () => 0);
    assert.deepEqual(
      [0, 1, 2].map((n) => low.delay(n)),
      [0, 0, 0],
    );
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 3 });
    const delays = Array.from({ length: 200 }, () => sut.delay(2) ?? -1);
    assert.ok(
      delays.every((d) => d >= 0 && d <= 400),
      `${delays}`,
    );
    assert.ok(delays.some((d) => d < 100) && delays.some((d) => d > 300));
  });

  it('follows the contract by default: 500 ms doubling to 30 s', () => {
    const sut = new Backoff(DEFAULT_BACKOFF, () => 1);
    assert.equal(sut.delay(0), 500);
    assert.equal(sut.delay(3), 4000);
    assert.equal(sut.delay(10), 30_000);
  });

  it("spreads the first attempt after a restart over the server's window", () => {
    const half = new Backoff(
      { baseMs: 100, maxMs: 1000, attempts: 3 },
      () => 0.5,
    );
    assert.equal(half.delay(0, { restartWindowMs: 5000 }), 2500);
    assert.equal(
      half.delay(1, { restartWindowMs: 5000 }),
      100,
      'later attempts back off as usual',
    );
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 3 });
    const delays = Array.from(
      { length: 200 },
      () => sut.delay(0, { restartWindowMs: 2000 }) ?? -1,
    );
    assert.ok(
      delays.every((d) => d >= 0 && d <= 2000),
      `${delays}`,
    );
    assert.ok(
      delays.some((d) => d > 1000),
      'beyond the usual backoff',
    );
  });

  it("never tries sooner than the server's Retry-After", () => {
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 3 }, () => 1);
    assert.equal(sut.delay(0, { retryAfterMs: 3000 }), 3000);
    assert.equal(sut.delay(2, { retryAfterMs: 10 }), 400);
  });

  it('gives up after the last attempt', () => {
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 2 });
    assert.notEqual(sut.delay(1), undefined);
    assert.equal(sut.delay(2), undefined);
    assert.equal(sut.attempts, 2);
  });
});
