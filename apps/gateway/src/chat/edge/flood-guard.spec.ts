import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FloodGuard, STRIKE_WINDOW_MS } from './flood-guard';

describe(FloodGuard.name, () => {
  it('passes the burst, then refuses, and cuts off at the third strike', () => {
    const sut = new FloodGuard({ perSecond: 1, burst: 2, strikes: 3 }, () => 0);
    assert.deepEqual(
      [0, 0, 0, 0, 0].map(() => sut.admit(0)),
      ['pass', 'pass', 'refuse', 'refuse', 'cut'],
    );
  });

  it('refuses a frame when a burst of frames already waits, whatever the rate', () => {
    const sut = new FloodGuard({ perSecond: 100, burst: 2, strikes: 3 });
    assert.equal(sut.admit(1), 'pass');
    assert.equal(sut.admit(2), 'refuse');
  });

  it('counts strikes from elsewhere, and forgets them after the window', () => {
    let now = 0;
    const sut = new FloodGuard(
      { perSecond: 1, burst: 1, strikes: 3 },
      () => now,
    );
    assert.equal(sut.strike(), false);
    assert.equal(sut.strike(), false);
    now = STRIKE_WINDOW_MS;
    assert.equal(sut.strike(), false, 'the first two have expired');
    assert.equal(sut.strike(), false);
    assert.equal(sut.admit(0), 'pass');
    assert.equal(sut.admit(0), 'cut', 'a refusal here is the third strike');
  });
});
