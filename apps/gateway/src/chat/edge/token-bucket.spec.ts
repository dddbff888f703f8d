import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TokenBucket } from './token-bucket';

describe(TokenBucket.name, () => {
  it('allows the burst at once, then refills at the given rate', () => {
    let now = 0;
    const sut = new TokenBucket(2, 3, () => now);
    assert.deepEqual(
      [sut.take(), sut.take(), sut.take(), sut.take()],
      [true, true, true, false],
    );
    now = 499;
    assert.equal(sut.take(), false);
    now = 500;
    assert.equal(sut.take(), true);
    now = 10_000;
    assert.deepEqual(
      [sut.take(), sut.take(), sut.take(), sut.take()],
      [true, true, true, false],
      'never more than the burst',
    );
  });
});
