import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RedisOutageLog } from './redis-outage-log';

describe(RedisOutageLog.name, () => {
  it('reports an outage when it starts, every 10 s at most while it lasts, and when it ends', () => {
    const lines: string[] = [];
    let now = 0;
    const sut = new RedisOutageLog(
      {
        warn: (m: string) => lines.push(`WARN ${m}`),
        log: (m: string) => lines.push(`LOG ${m}`),
      },
      () => now,
    );
    sut.recovered();
    for (now = 0; now <= 25_000; now += 500) sut.failed('ECONNREFUSED');
    assert.equal(sut.isDown, true);
    sut.recovered();
    sut.recovered();
    assert.deepEqual(lines, [
      'WARN Redis connection lost (ECONNREFUSED); retrying',
      'WARN Redis still unreachable after 10 s (ECONNREFUSED); retrying',
      'WARN Redis still unreachable after 20 s (ECONNREFUSED); retrying',
      'LOG Redis connection restored after 26 s',
    ]);
    assert.equal(sut.isDown, false);
  });
});
