import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatDuration, parseDuration } from './durations';

describe('durations', () => {
  it('reads a number and one unit', () => {
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('10m'), 600);
    assert.equal(parseDuration('2H'), 7200);
    assert.equal(parseDuration('1d'), 86400);
  });

  it('is undefined for anything else, so it can be the first word of a reason', () => {
    for (const text of ['10', 'm', '1w', '1h30m', '-5m', 'spam', ''])
      assert.equal(parseDuration(text), undefined, text);
  });

  it('writes the largest units first and leaves zero parts out', () => {
    assert.equal(formatDuration(600), '10m');
    assert.equal(formatDuration(5400), '1h30m');
    assert.equal(formatDuration(90000), '1d1h');
    assert.equal(formatDuration(61), '1m1s');
    assert.equal(formatDuration(0), '0s');
  });
});
