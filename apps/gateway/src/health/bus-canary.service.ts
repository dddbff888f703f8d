import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';

import { BusChannels, BusPattern, BusService, ProbeEvent } from '@app/pubsub';

import { INSTANCE_NAME } from '../instance-id';
import { MetricsService } from '../metrics/metrics.service';

/** How far `probeChannels` looks for a probe number whose slot a master serves. */
const PROBE_SEARCH_LIMIT = 100_000;

interface ProbeState {
  channel: string;
  master: string;
  /** When the probe now on its way was published; undefined once it came back. */
  pendingSince?: number;
  lastBack?: number;
  /** Since when its probes stopped coming back; undefined while they come back. */
  brokenSince?: number;
}

/**
 * Proves the bus end to end on every shard: each HEALTH_CANARY_INTERVAL_MS this instance publishes a
 * probe on one probe channel per master (`bus:{probe:<n>}`, n picked so that master serves its slot,
 * picked again when slots move) and subscribes to them. A probe not back by the next beat means that
 * shard's subscription went silent: it is subscribed again on a new connection at once, and the bus
 * counts as broken (naming the master) until a probe comes back there. It also counts as broken while
 * any shard's last probe came back more than three intervals ago, or none came back yet.
 */
@Injectable()
export class BusCanary implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BusCanary.name);
  private readonly interval: number;
  private readonly probes = new Map<number, ProbeState>();
  private timer?: NodeJS.Timeout;
  private beating = false;
  private wasHealthy?: boolean;

  constructor(
    private readonly bus: BusService,
    config: ConfigService,
    private readonly indicators: HealthIndicatorService,
    private readonly metrics: MetricsService,
  ) {
    this.interval = config.getOrThrow<number>('HEALTH_CANARY_INTERVAL_MS');
  }

  onApplicationBootstrap(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.interval);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Every instance's probes on the channels this one hears arrive here; only its own count. */
  received(event: ProbeEvent): void {
    if (event?.instance !== INSTANCE_NAME) return;
    const probe = this.probes.get(event.n);
    if (!probe) return;
    const now = Date.now();
    probe.lastBack = now;
    probe.pendingSince = undefined;
    if (probe.brokenSince !== undefined) {
      this.logger.log(
        `Probes come back again on ${probe.channel} (master ${probe.master})`,
      );
      probe.brokenSince = undefined;
    }
    this.metrics.busLag(BusPattern.Probe, now - event.ts);
  }

  check(): HealthIndicatorResult<'bus'> {
    const indicator = this.indicators.check('bus');
    const problem = this.problem();
    return problem
      ? indicator.down({ message: problem })
      : indicator.up({
          shards: this.probes.size,
          lastProbeMs: Math.max(
            ...[...this.probes.values()].map(
              (p) => Date.now() - (p.lastBack ?? 0),
            ),
          ),
        });
  }

  /** Why the bus counts as broken, or undefined while it works. */
  private problem(): string | undefined {
    if (this.probes.size === 0)
      return 'No probe has been sent over the bus yet';
    const now = Date.now();
    const limit = this.interval * 3;
    const problems = [...this.probes.values()].flatMap((probe) => {
      const where = `${probe.channel} (master ${probe.master})`;
      if (probe.brokenSince !== undefined)
        return [
          `the probe on ${where} did not come back within ${this.interval} ms; resubscribed, waiting for a probe to come back`,
        ];
      if (probe.lastBack === undefined)
        return [`no probe has come back on ${where} yet`];
      const age = now - probe.lastBack;
      return age > limit
        ? [
            `the last probe on ${where} came back ${age} ms ago (limit ${limit} ms)`,
          ]
        : [];
    });
    return problems.length > 0 ? problems.join('; ') : undefined;
  }

  private async tick(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      this.repairSilent();
      this.logChange();
      await this.follow(probeChannels(this.bus));
      // Not awaited: a publish stuck on one master must not hold the beats that notice it.
      for (const [n, probe] of this.probes)
        this.send(n, probe).catch((err: Error) =>
          this.logger.debug(`Probe not sent: ${err.message}`),
        );
    } catch (err) {
      this.logger.debug(`Probes not sent: ${(err as Error).message}`);
    } finally {
      this.beating = false;
    }
  }

  /** A probe still on its way a whole interval later: that shard's subscription is silent. */
  private repairSilent(): void {
    const now = Date.now();
    for (const probe of this.probes.values()) {
      if (probe.pendingSince === undefined) continue;
      // Half an interval of slack: timers drift, and the next beat may come a few ms early.
      if (now - probe.pendingSince < this.interval / 2) continue;
      if (!this.bus.isActive(probe.channel)) continue;
      if (probe.brokenSince === undefined) {
        probe.brokenSince = probe.pendingSince;
        this.logger.warn(
          `The probe on ${probe.channel} (master ${probe.master}) did not come back within ${this.interval} ms: resubscribing that shard`,
        );
      }
      probe.pendingSince = undefined;
      this.bus.resubscribeShardOf(probe.channel);
    }
  }

  /** Subscribes the probe channels of the masters as the slot map has them now; drops the others. */
  private async follow(wanted: Map<number, string>): Promise<void> {
    for (const [n, probe] of this.probes) {
      if (wanted.get(n) === probe.master) continue;
      this.probes.delete(n);
      this.bus.unsubscribe(probe.channel);
    }
    const added = [...wanted.entries()].filter(([n]) => !this.probes.has(n));
    for (const [n, master] of added)
      this.probes.set(n, { channel: BusChannels.probe(n), master });
    await Promise.all(
      added.map(([n]) => this.bus.subscribe(BusChannels.probe(n))),
    );
  }

  private async send(n: number, probe: ProbeState): Promise<void> {
    if (!this.bus.isActive(probe.channel)) return;
    const ts = Date.now();
    probe.pendingSince ??= ts;
    await this.bus.publish(probe.channel, BusPattern.Probe, {
      instance: INSTANCE_NAME,
      n,
      ts,
    } satisfies ProbeEvent);
  }

  /** One line when the bus breaks and one when it works again. */
  private logChange(): void {
    const problem = this.problem();
    const healthy = problem === undefined;
    if (this.wasHealthy !== undefined && healthy !== this.wasHealthy) {
      if (healthy) this.logger.log('The bus works again: probes come back');
      else this.logger.warn(`The bus looks broken: ${problem}`);
    }
    if ([...this.probes.values()].some((p) => p.lastBack !== undefined))
      this.wasHealthy = healthy;
  }
}

/** For each master, the smallest n whose probe channel's slot it serves: n → master. */
export function probeChannels(
  bus: Pick<BusService, 'masters' | 'masterOf'>,
): Map<number, string> {
  const masters = new Set(bus.masters());
  const found = new Map<number, string>();
  const covered = new Set<string>();
  for (let n = 0; n < PROBE_SEARCH_LIMIT && covered.size < masters.size; n++) {
    const master = bus.masterOf(BusChannels.probe(n));
    if (!master || covered.has(master) || !masters.has(master)) continue;
    covered.add(master);
    found.set(n, master);
  }
  return found;
}
