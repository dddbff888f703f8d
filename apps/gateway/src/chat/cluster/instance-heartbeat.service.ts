// cluster/: jobs that keep this instance honest in the cluster: its liveness, reaping dead instances'
// sessions, noticing lost data or a quiet bus, and closing sessions whose tokens were revoked elsewhere.
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { JwtSecret } from '@app/auth';
import { ChatBus } from '@app/pubsub';
import {
  REDIS,
  RedisClient,
  RedisEpoch,
  warnIfNotPersistent,
} from '@app/redis';
import { RoomsService } from '@app/rooms';

import { MetricsService } from '../../metrics/metrics.service';

import { ChatService } from '../chat.service';
import { SessionRegistry } from '../delivery/session-registry.service';

/**
 * Keeps this instance's sessions truthful in Redis: a heartbeat marks the instance alive, instances
 * whose heartbeat lapsed (crashed, killed) have their sessions reaped, and when Redis comes back
 * (perhaps empty) or this instance finds it was reaped while paused, its live sessions are put back
 * and the rooms are told. It also notices a lost data set, a quiet bus gap, and Redis's clock.
 */
@Injectable()
export class InstanceHeartbeat
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(InstanceHeartbeat.name);
  private timer?: NodeJS.Timeout;
  private resyncNeeded = false;
  private beating = false;
  private interval = 0;
  private publicUrl = '';

  constructor(
    private readonly bus: ChatBus,
    private readonly chat: ChatService,
    private readonly config: ConfigService,
    private readonly epoch: RedisEpoch,
    private readonly jwtSecret: JwtSecret,
    private readonly metrics: MetricsService,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly registry: SessionRegistry,
    private readonly rooms: RoomsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const interval = this.config.getOrThrow<number>('HEARTBEAT_INTERVAL_MS');
    this.interval = interval;
    this.redis.on('close', () => (this.resyncNeeded = true));
    this.redis.on('ready', () => void this.beat(interval));
    await warnIfNotPersistent(this.redis, this.logger);
    await this.beat(interval);
    this.timer = setInterval(() => void this.beat(interval), interval);
    this.timer.unref();
  }

  /** Once listening: the address clients reach this instance at, advertised to the cluster in `welcome.instances`. */
  async advertise(publicUrl: string): Promise<void> {
    this.publicUrl = publicUrl;
    await this.beat(this.interval);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Forgets this instance in Redis: the last step of a drain, after its sessions left their rooms. */
  async retire(): Promise<void> {
    await this.rooms
      .retire()
      .catch((err: Error) =>
        this.logger.warn(`Could not de-register this instance: ${err.message}`),
      );
  }

  private async beat(interval: number): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const { lapsed, reaped } = await this.rooms.heartbeat(
        interval * 3,
        this.publicUrl,
      );
      const epoch = await this.epoch.check();
      if (epoch.lost) {
        this.logger.error(
          'Redis lost its data (the cluster epoch changed): accounts, rooms and history before now are gone; tokens issued before are refused',
        );
        await this.jwtSecret.refresh();
      }
      if (this.resyncNeeded || lapsed || reaped || epoch.lost)
        await this.resync();
      const reaping = await this.rooms.reapDeadInstances();
      for (const { instance, sessions } of reaping.reaped)
        this.logger.warn(
          `Instance ${instance} missed its heartbeats: removed its ${sessions} session(s)`,
        );
      for (const { room, user, emptied } of reaping.departures) {
        await this.bus.publishPresence({ room, user, action: 'leave' });
        if (emptied) await this.chat.roomEmptied(room);
      }
      await this.bus.syncClock();
    } catch (err) {
      this.resyncNeeded = true;
      this.metrics.redisError();
      this.logger.debug(`Heartbeat failed: ${(err as Error).message}`);
    } finally {
      this.beating = false;
    }
  }

  /* Puts this instance's live sessions back in Redis, and tells the rooms about users who were missing. */
  private async resync(): Promise<void> {
    this.resyncNeeded = false;
    const moves = await this.rooms.resync(this.registry.all());
    for (const { session, move } of moves) {
      if (move.userJoined)
        await this.bus.publishPresence({
          room: session.room,
          user: session.username,
          action: 'join',
        });
    }
    if (moves.length > 0)
      this.logger.log(`${moves.length} session(s) written back to Redis`);
  }
}
