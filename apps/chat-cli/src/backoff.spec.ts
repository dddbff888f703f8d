import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Backoff } from './backoff';

describe(Backoff.name, () => {
  it('doubles the ceiling each attempt, up to the maximum', () => {
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 6 }, () => 1);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => sut.delay(n)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it('jitters between half and all of the ceiling', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 3 }, () => 0);
    assert.deepEqual(
      [0, 1, 2].map((n) => low.delay(n)),
      [50, 100, 200],
    );
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 3 });
    for (let i = 0; i < 50; i++) {
      const delay = sut.delay(2) ?? -1;
      assert.ok(delay >= 200 && delay <= 400, `delay ${delay}`);
    }
  });

  it('gives up after the last attempt', () => {
    const sut = new Backoff({ baseMs: 100, maxMs: 1000, attempts: 2 });
    assert.notEqual(sut.delay(1), undefined);
    assert.equal(sut.delay(2), undefined);
    assert.equal(sut.attempts, 2);
  });
});
