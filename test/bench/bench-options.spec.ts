import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { benchOptions, BenchOptions } from './bench-options';

const options = (argv: string[], env: NodeJS.ProcessEnv = {}): BenchOptions =>
  benchOptions(argv, env) as BenchOptions;

describe(benchOptions.name, () => {
  it('measures the floor, the gateway and Socket.IO by default, every instance serving every room', () => {
    const sut = options([]);
    assert.deepEqual(sut.systems, ['floor', 'gateway', 'socketio']);
    assert.equal(sut.cluster, false);
    assert.equal(sut.instances, 2);
    assert.equal(sut.instancesPerRoom, 2);
  });

  it('with --cluster (or BENCH_CLUSTER=1) runs 4 instances, each room on 2 of them, unless a flag says otherwise', () => {
    for (const sut of [
      options(['--cluster']),
      options([], { BENCH_CLUSTER: '1' }),
    ]) {
      assert.equal(sut.cluster, true);
      assert.equal(sut.instances, 4);
      assert.equal(sut.instancesPerRoom, 2);
    }
    const sut = options([
      '--cluster',
      '--instances',
      '6',
      '--instances-per-room',
      '3',
    ]);
    assert.equal(sut.instances, 6);
    assert.equal(sut.instancesPerRoom, 3);
  });

  it('keeps --instances-per-room within the instances', () => {
    assert.equal(
      options(['--instances', '2', '--instances-per-room', '5'])
        .instancesPerRoom,
      2,
    );
  });

  it('names the systems it knows when given another', () => {
    assert.throws(
      () => benchOptions(['--systems', 'floor,nats'], {}),
      /--systems nats is unknown: use floor, gateway, socketio/,
    );
  });
});
