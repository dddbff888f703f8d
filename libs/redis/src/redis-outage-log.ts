import { Logger } from '@nestjs/common';

/** How often, at most, a Redis outage that goes on is reported again. */
export const OUTAGE_REPORT_INTERVAL_MS = 10_000;

/**
 * Logs a Redis outage once when it starts, at most once every 10 s while it lasts, and once when it
 * ends: ioredis reports every failed reconnection attempt, which would flood the log.
 */
export class RedisOutageLog {
  private downSince?: number;
  private lastReport = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    private readonly now: () => number = Date.now,
  ) {}

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  failed(reason: string): void {
    const now = this.now();
    if (this.downSince === undefined) {
      this.downSince = this.lastReport = now;
      this.logger.warn(`Redis connection lost (${reason}); retrying`);
      return;
    }
    if (now - this.lastReport < OUTAGE_REPORT_INTERVAL_MS) return;
    this.lastReport = now;
    this.logger.warn(
      `Redis still unreachable after ${seconds(now - this.downSince)} s (${reason}); retrying`,
    );
  }

  recovered(): void {
    if (this.downSince === undefined) return;
    this.logger.log(
      `Redis connection restored after ${seconds(this.now() - this.downSince)} s`,
    );
    this.downSince = undefined;
  }
}

const seconds = (ms: number): number => Math.round(ms / 1000);
