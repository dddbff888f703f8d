import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ConfigService } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';

import { BusChannels, BusService, ProbeEvent } from '@app/pubsub';

import { INSTANCE_NAME } from '../instance-id';
import { MetricsService } from '../metrics/metrics.service';

import { BusCanary, probeChannels } from './bus-canary.service';

const INTERVAL = 1000;

/** Three masters, each serving the slots of the probe channels whose number modulo 3 names it. */
class FakeBus {
  readonly published: Array<{ channel: string; event: ProbeEvent }> = [];
  readonly resubscribed: string[] = [];
  readonly subscribed = new Set<string>();
  masters = (): string[] => ['m0', 'm1', 'm2'];
  masterOf = (channel: string): string =>
    `m${Number(/probe:(\d+)/.exec(channel)?.[1]) % 3}`;
  isActive = (channel: string): boolean => this.subscribed.has(channel);
  subscribe = async (channel: string): Promise<void> =>
    void this.subscribed.add(channel);
  unsubscribe = (channel: string): void => void this.subscribed.delete(channel);
  publish = async (channel: string, _k: string, event: object) =>
    void this.published.push({ channel, event: event as ProbeEvent });
  resubscribeShardOf = (channel: string): void =>
    void this.resubscribed.push(channel);
}

describe(BusCanary.name, () => {
  let sut: BusCanary;
  let bus: FakeBus;
  const beat = async (): Promise<void> => {
    mock.timers.tick(INTERVAL);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const backAll = (): void =>
    bus.published
      .splice(0)
      .forEach(({ event }) => sut.received({ ...event, ts: Date.now() }));

  beforeEach(async () => {
    mock.timers.enable({ apis: ['Date', 'setInterval'], now: 1_000_000 });
    bus = new FakeBus();
    const config = { getOrThrow: () => INTERVAL } as unknown as ConfigService;
    sut = new BusCanary(
      bus as unknown as BusService,
      config,
      new HealthIndicatorService(),
      new MetricsService(),
    );
    sut.onApplicationBootstrap();
    await new Promise((resolve) => setImmediate(resolve));
  });

  afterEach(() => {
    sut.onModuleDestroy();
    mock.timers.reset();
  });

  it('picks one probe channel per master', () => {
    assert.deepEqual(
      [...probeChannels(bus).entries()],
      [
        [0, 'm0'],
        [1, 'm1'],
        [2, 'm2'],
      ],
    );
  });

  it('subscribes and publishes a probe named after this instance on each master as soon as the app is up', () => {
    assert.deepEqual(
      [...bus.subscribed],
      [0, 1, 2].map((n) => BusChannels.probe(n)),
    );
    assert.deepEqual(
      bus.published.map(({ channel, event }) => [channel, event.instance]),
      [0, 1, 2].map((n) => [BusChannels.probe(n), INSTANCE_NAME]),
    );
  });

  it('is down until its own probes came back on every shard, and down again when none came back for three intervals', () => {
    assert.equal(sut.check().bus.status, 'down');
    sut.received({ instance: 'another-instance', n: 0, ts: Date.now() });
    const [first, ...others] = bus.published.splice(0);
    sut.received(first.event);
    assert.match(
      String(sut.check().bus.message),
      /no probe has come back on bus:\{probe:1\} \(master m1\) yet/,
    );
    others.forEach(({ event }) => sut.received(event));
    assert.equal(sut.check().bus.status, 'up');

    mock.timers.tick(3 * INTERVAL + 1);
    const down = sut.check().bus;
    assert.equal(down.status, 'down');
    assert.match(String(down.message), /3001 ms ago \(limit 3000 ms\)/);
  });

  it('resubscribes the shard whose probe did not come back by the next beat, and reports it until one does', async () => {
    backAll();
    await beat();
    const silent = bus.published.splice(0);
    silent
      .filter(({ event }) => event.n !== 1)
      .forEach(({ event }) => sut.received(event));
    assert.deepEqual(bus.resubscribed, []);
    await beat();
    assert.deepEqual(bus.resubscribed, [BusChannels.probe(1)]);
    const report = sut.check().bus;
    assert.equal(report.status, 'down');
    assert.match(
      String(report.message),
      /probe on bus:\{probe:1\} \(master m1\) did not come back within 1000 ms; resubscribed/,
    );
    backAll();
    assert.equal(sut.check().bus.status, 'up');
  });
});
