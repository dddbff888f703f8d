import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { problems } from './storm/storm';
import { runStorm } from './storm/storm-run';

describe('npm run storm, small: a rolling restart behind haproxy', () => {
  it('restarts each of three gateways in turn: every acknowledged message arrives once and in order, everyone is back within 30 s, nobody logs in again', async () => {
    const report = await runStorm('rolling', {
      clients: 60,
      rate: 50,
      roomSize: 10,
      clientsPerUser: 4,
      steadyMs: 2000,
    });
    assert.equal(report.windows.length, 3);
    for (const window of report.windows) {
      assert.ok(window.dropped > 0, `${window.event} dropped nobody`);
      assert.ok(window.upgradesPerSecond.peak > 0);
    }
    assert.ok(report.check.acknowledged > 100, JSON.stringify(report.check));
    assert.deepEqual(problems(report), [], JSON.stringify(report));
  });
});
