import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { medians, repeatSummary, StepRow } from './bench-report';

/** A step that used `cpuSeconds` of server CPU for 1000 deliveries, with the given p99. */
const row = (
  system: StepRow['system'],
  run: number,
  cpuSeconds: number,
  p99: number,
): StepRow =>
  ({
    system,
    run,
    step: { rate: 2000, expected: 1000, received: 1000, latency: { p99 } },
    cpu: { servers: cpuSeconds, redis: 0, generator: 0, others: 0 },
  }) as unknown as StepRow;

describe(repeatSummary.name, () => {
  it("gives each system's median CPU per delivery, its ratio to the floor's median, and every run's p99", () => {
    const summary = repeatSummary([
      row('floor', 1, 0.02, 3),
      row('floor', 2, 0.03, 4),
      row('floor', 3, 0.02, 5),
      row('gateway', 1, 0.03, 6),
      row('gateway', 2, 0.05, 9),
      row('gateway', 3, 0.03, 7),
    ]);
    assert.match(
      summary,
      /^- floor at 2000 sends\/s: CPU 20\.0 µs\/delivery \(median, 1\.00× the floor's median\); p99 ms by run: 3\.0, 4\.0, 5\.0 \(median 4\.0, worst 5\.0\)$/m,
    );
    assert.match(
      summary,
      /^- gateway at 2000 sends\/s: CPU 30\.0 µs\/delivery \(median, 1\.50× the floor's median\); p99 ms by run: 6\.0, 9\.0, 7\.0 \(median 7\.0, worst 9\.0\)$/m,
    );
  });

  it("also divides by Socket.IO's medians when Socket.IO ran", () => {
    const rows = [
      row('floor', 1, 0.02, 4),
      row('gateway', 1, 0.03, 12),
      row('socketio', 1, 0.025, 8),
    ];
    assert.match(
      repeatSummary(rows),
      /^- gateway at 2000 sends\/s: CPU 30\.0 µs\/delivery \(median, 1\.50× the floor's median, 1\.20× Socket\.IO's\);/m,
    );
    const gateway = medians(rows).find((m) => m.system === 'gateway')!;
    assert.equal(gateway.cpuVsSocketio.toFixed(3), '1.200');
    assert.equal(gateway.p99VsSocketio.toFixed(3), '1.500');
    assert.equal(gateway.p99VsFloor.toFixed(3), '3.000');
  });
});
