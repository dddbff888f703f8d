import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

import { benchOptions, BenchOptions } from './bench-options';
import { gatewayMainOf } from './bench-servers';

const options = (argv: string[], env: NodeJS.ProcessEnv = {}): BenchOptions =>
  benchOptions(argv, env) as BenchOptions;

describe(benchOptions.name, () => {
  it('measures the floor, the gateway and Socket.IO by default, every instance serving every room', () => {
    const sut = options([]);
    assert.deepEqual(sut.systems, ['floor', 'gateway', 'socketio']);
    assert.equal(sut.cluster, false);
    assert.equal(sut.instances, 2);
    assert.equal(sut.instancesPerRoom, 2);
    assert.equal(sut.cids, true);
  });

  it('sends without cids with --cids 0 (or BENCH_CIDS=0), to measure what they cost', () => {
    assert.equal(options(['--cids', '0']).cids, false);
    assert.equal(options([], { BENCH_CIDS: '0' }).cids, false);
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
      /--systems nats is unknown: use floor, gateway-before, gateway, socketio/,
    );
  });

  it('runs gateway-before only from a --baseline checkout that holds a gateway build', () => {
    assert.throws(
      () => benchOptions(['--systems', 'gateway-before,gateway'], {}),
      /gateway-before needs --baseline DIR/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
    try {
      assert.throws(
        () => benchOptions(['--baseline', dir], {}),
        /has no .*main\.js: run npm run build in it first/,
      );
      mkdirSync(dirname(gatewayMainOf(dir)), { recursive: true });
      writeFileSync(gatewayMainOf(dir), '');
      const sut = options([], {
        BENCH_SYSTEMS: 'gateway-before,gateway',
        BENCH_BASELINE: dir,
      });
      assert.deepEqual(sut.systems, ['gateway-before', 'gateway']);
      assert.equal(sut.baseline, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes no store wait unless --store-wait says how many replicas', () => {
    assert.equal(options([]).storeWait, 0);
    assert.equal(options(['--store-wait', '1']).storeWait, 1);
  });
});
