import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { problems } from './storm/storm';
import { runStorm } from './storm/storm-run';

describe('npm run storm, small: kill -9 of one gateway behind haproxy', () => {
  it(
    'brings its clients back within 30 s with nothing acknowledged lost or doubled, and the others stay served',
    { timeout: 180000 },
    async () => {
      const report = await runStorm('crash', {
        clients: 60,
        rate: 50,
        roomSize: 10,
        clientsPerUser: 4,
        steadyMs: 2000,
        observers: 6,
      });
      const [crash] = report.windows;
      assert.ok(crash.dropped >= 20, `${crash.dropped} clients dropped`);
      assert.ok(crash.othersLatency.count > 0);
      assert.equal(crash.observers?.observers, 6);
      assert.ok(crash.observers.latency.count > 0, JSON.stringify(crash));
      // The 200 ms, with slack for a shared 2-core machine; npm run storm holds the real bound.
      assert.deepEqual(problems(report, 1000), [], JSON.stringify(report));
    },
  );
});
