import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { runSoak } from './storm/soak-run';

describe('npm run soak, short', () => {
  it(
    'churns sessions while chatting behind haproxy: ended sessions leave nothing in Redis, memory comes back, nothing is lost',
    { timeout: 180000 },
    async () => {
      const report = await runSoak({
        minutes: 0.25,
        clients: 40,
        rate: 40,
        churnPerSecond: 3,
        roomSize: 10,
        clientsPerUser: 4,
      });
      assert.ok(report.reconnects >= 20, `${report.reconnects} reconnects`);
      assert.equal(report.redis.end.sessionEntries, 0);
      const { start, end } = report.redis;
      // A 15 s run is dominated by fixed warm-up costs (about 0.1 MiB); npm run soak holds the 10% bound.
      assert.ok(
        end.nonHistoryMiB <= start.nonHistoryMiB * 1.25,
        JSON.stringify(report.redis),
      );
      const { lost, doubled, outOfOrder, unacknowledged } = report.check;
      assert.deepEqual(
        [lost, doubled, outOfOrder, unacknowledged],
        [0, 0, 0, 0],
      );
      for (const p99 of report.gateways.end.eventLoopP99Ms)
        assert.ok(p99 < 1000, `event-loop delay p99 ${p99} ms`);
    },
  );
});
