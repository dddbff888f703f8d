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

import { BusPattern, CanaryEvent, ChatBus } from '@app/pubsub';

import { INSTANCE_NAME } from '../instance-id';
import { MetricsService } from '../metrics/metrics.service';

/**
 * Proves the cross-instance bus end to end: this instance publishes a canary every
 * HEALTH_CANARY_INTERVAL_MS and counts as healthy while its own canary came back within three intervals.
 */
@Injectable()
export class BusCanary implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BusCanary.name);
  private readonly interval: number;
  private timer?: NodeJS.Timeout;
  private publishing = false;
  private lastBack?: number;
  private wasHealthy?: boolean;

  constructor(
    private readonly bus: ChatBus,
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

  /** Every instance's canaries arrive here; only this instance's own count. */
  received(event: CanaryEvent): void {
    if (event?.instance !== INSTANCE_NAME) return;
    this.lastBack = Date.now();
    this.metrics.busLag(BusPattern.Canary, this.lastBack - event.ts);
  }

  check(): HealthIndicatorResult<'bus'> {
    const indicator = this.indicators.check('bus');
    const problem = this.problem();
    return problem
      ? indicator.down({ message: problem })
      : indicator.up({ lastCanaryMs: Date.now() - (this.lastBack ?? 0) });
  }

  /** Why the bus counts as broken, or undefined while it works. */
  private problem(): string | undefined {
    if (this.lastBack === undefined)
      return 'No canary has come back over the bus yet';
    const age = Date.now() - this.lastBack;
    const limit = this.interval * 3;
    return age > limit
      ? `The last canary came back ${age} ms ago (limit ${limit} ms)`
      : undefined;
  }

  private async tick(): Promise<void> {
    this.logChange();
    if (this.publishing) return;
    this.publishing = true;
    try {
      await this.bus.publishCanary({ instance: INSTANCE_NAME, ts: Date.now() });
    } catch (err) {
      this.logger.debug(`Canary not published: ${(err as Error).message}`);
    } finally {
      this.publishing = false;
    }
  }

  /** One line when the bus breaks and one when it works again. */
  private logChange(): void {
    const problem = this.problem();
    const healthy = problem === undefined;
    if (this.wasHealthy !== undefined && healthy !== this.wasHealthy) {
      if (healthy) this.logger.log('The bus works again: canaries come back');
      else this.logger.warn(`The bus looks broken: ${problem}`);
    }
    if (this.lastBack !== undefined) this.wasHealthy = healthy;
  }
}
