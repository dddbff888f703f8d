import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ConfigService } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';

import { ChatBus } from '@app/pubsub';

import { INSTANCE_NAME } from '../instance-id';
import { MetricsService } from '../metrics/metrics.service';

import { BusCanary } from './bus-canary.service';

const INTERVAL = 1000;

describe(BusCanary.name, () => {
  let sut: BusCanary;
  const published: string[] = [];

  beforeEach(() => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const bus = {
      publishCanary: async (event: { instance: string }) =>
        void published.push(event.instance),
    } as unknown as ChatBus;
    const config = { getOrThrow: () => INTERVAL } as unknown as ConfigService;
    sut = new BusCanary(
      bus,
      config,
      new HealthIndicatorService(),
      new MetricsService(),
    );
  });

  afterEach(() => {
    sut.onModuleDestroy();
    mock.timers.reset();
  });

  it('publishes a canary named after this instance as soon as the app is up', () => {
    sut.onApplicationBootstrap();
    assert.deepEqual(published, [INSTANCE_NAME]);
  });

  it('is down until its own canary comes back, and down again when none came back for three intervals', () => {
    assert.equal(sut.check().bus.status, 'down');
    sut.received({ instance: 'another-instance', ts: Date.now() });
    assert.equal(
      sut.check().bus.status,
      'down',
      "another instance's canary does not count",
    );

    sut.received({ instance: INSTANCE_NAME, ts: Date.now() - 3 });
    assert.equal(sut.check().bus.status, 'up');
    mock.timers.tick(3 * INTERVAL);
    assert.equal(sut.check().bus.status, 'up');
    mock.timers.tick(1);
    const down = sut.check().bus;
    assert.equal(down.status, 'down');
    assert.match(String(down.message), /3001 ms ago \(limit 3000 ms\)/);
  });
});
