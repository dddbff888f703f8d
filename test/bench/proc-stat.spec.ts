import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseCpuTicks, parseMachineTicks } from './proc-stat';

describe('proc-stat', () => {
  it('adds utime and stime, even when the command name holds spaces and parentheses', () => {
    const stat =
      '4242 (node (a) b) S 1 4242 4242 0 -1 4194304 100 0 0 0 1500 250 0 0 20 0 11 0 900 1000 5000';
    assert.equal(parseCpuTicks(stat), 1750);
  });

  it('reads busy and total ticks of the machine from the first line of /proc/stat', () => {
    const stat =
      'cpu  100 10 50 800 20 5 5 10 0 0\ncpu0 50 5 25 400 10 2 3 5 0 0\n';
    assert.deepEqual(parseMachineTicks(stat), { busy: 180, total: 1000 });
  });
});
