import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { reconnectDelay } from './reconnect-policy';

describe(reconnectDelay.name, () => {
  it('spreads a restart uniformly over its window', () => {
    assert.equal(
      reconnectDelay({ attempt: 3, restartWithinMs: 5000 }, () => 0),
      0,
    );
    assert.equal(
      reconnectDelay({ attempt: 3, restartWithinMs: 5000 }, () => 0.5),
      2500,
    );
  });

  it('backs off with full jitter, doubling from 500 ms up to 30 s', () => {
    const top = (attempt: number): number =>
      reconnectDelay({ attempt }, () => 1);
    assert.deepEqual(
      [0, 1, 2, 5, 6, 20].map(top),
      [500, 1000, 2000, 16000, 30000, 30000],
    );
    assert.equal(
      reconnectDelay({ attempt: 4 }, () => 0),
      0,
    );
  });

  it('waits at least as long as Retry-After says', () => {
    assert.equal(
      reconnectDelay({ attempt: 0, retryAfterMs: 7000 }, () => 1),
      7000,
    );
  });
});
