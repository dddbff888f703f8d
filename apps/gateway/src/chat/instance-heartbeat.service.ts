import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { ChatBus } from '@app/pubsub';
import { REDIS } from '@app/redis';
import { RoomsService } from '@app/rooms';

import { MetricsService } from '../metrics/metrics.service';

import { SessionRegistry } from './session-registry.service';

/**
 * Keeps this instance's sessions truthful in Redis: a heartbeat marks the instance alive, instances
 * whose heartbeat lapsed (crashed, killed) have their sessions reaped, and after Redis comes back
 * (perhaps empty) this instance's live sessions are written again.
 */
@Injectable()
export class InstanceHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InstanceHeartbeat.name);
  private timer?: NodeJS.Timeout;
  private resyncNeeded = false;

  constructor(
    private readonly bus: ChatBus,
    private readonly config: ConfigService,
    private readonly metrics: MetricsService,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly registry: SessionRegistry,
    private readonly rooms: RoomsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const interval = this.config.getOrThrow<number>('HEARTBEAT_INTERVAL_MS');
    this.redis.on('close', () => (this.resyncNeeded = true));
    this.redis.on('ready', () => void this.beat(interval));
    await this.beat(interval);
    this.timer = setInterval(() => void this.beat(interval), interval);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.rooms.retire().catch(() => undefined);
  }

  private async beat(interval: number): Promise<void> {
    try {
      await this.rooms.heartbeat(interval * 3);
      if (this.resyncNeeded) {
        this.resyncNeeded = false;
        await this.rooms.resync(this.registry.all().map(({ id, username, room }) => ({ id, username, room })));
        this.logger.log('Sessions written back to Redis after a reconnect');
      }
      for (const { room, user } of await this.rooms.reapDeadInstances()) {
        await this.bus.publishPresence({ room, user, action: 'leave' });
      }
    } catch (err) {
      this.resyncNeeded = true;
      this.metrics.redisError();
      this.logger.debug(`Heartbeat failed: ${(err as Error).message}`);
    }
  }
}
