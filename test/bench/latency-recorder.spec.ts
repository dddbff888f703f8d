import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LatencyRecorder, percentiles } from './latency-recorder';

describe(LatencyRecorder.name, () => {
  it('takes nearest-rank percentiles of what the current step recorded', () => {
    const sut = new LatencyRecorder();
    sut.begin(1, 4);
    for (let ms = 100; ms >= 1; ms--) sut.record(1, ms, 1000 + ms);
    assert.deepEqual(sut.summary(), {
      count: 100,
      p50: 50,
      p90: 90,
      p99: 99,
      max: 100,
    });
    assert.equal(sut.lastAt, 1001, 'the time of the last delivery recorded');
  });

  it('counts deliveries of an earlier step as late instead of recording them', () => {
    const sut = new LatencyRecorder();
    sut.begin(2, 10);
    sut.record(1, 500, 0);
    sut.record(2, 5, 0);
    assert.equal(sut.late, 1);
    assert.equal(sut.count, 1);
    sut.begin(3, 10);
    assert.deepEqual([sut.late, sut.count], [0, 0]);
  });
});

describe(percentiles.name, () => {
  it('answers NaN for no values', () => {
    assert.ok(Number.isNaN(percentiles(new Float64Array(0)).p99));
  });
});
