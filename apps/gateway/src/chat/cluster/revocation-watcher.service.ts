import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';

import { TokenRevocations } from '@app/auth';
import { CLOSE_UNAUTHORIZED, ErrorCode } from '@app/protocol';
import { RedisEpoch } from '@app/redis';

import { ChatSession } from '../delivery/chat-session';
import { errorFrame } from '../delivery/frames';
import { SessionRegistry } from '../delivery/session-registry.service';

/** How often the revocation mark is read: a logout reaches every instance within twice this. */
export const REVOCATION_CHECK_MS = 1000;
/** How often every session is checked even though the mark stayed (an account deleted by hand in Redis). */
export const REVOCATION_SWEEP_MS = 30000;

/**
 * Closes, on this instance, the sessions whose token expired (within a second of `exp`, idle or not),
 * was logged out (on any instance) or whose account is gone, with an `error UNAUTHORIZED` frame and
 * close code 4401. Expiry needs no Redis. Each second costs one GET
 * of the revocation mark; only when it moved (a logout, a loss of Redis's data), the epoch changed or
 * the sweep is due are the sessions' tokens looked up, in one round trip however many there are.
 * While Redis is unreachable nobody is closed.
 */
@Injectable()
export class RevocationWatcher
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(RevocationWatcher.name);
  private readonly closed = new WeakSet<ChatSession>();
  private timer?: NodeJS.Timeout;
  private checking = false;
  /** The mark and epoch of the last completed sweep; undefined until the first. */
  private swept?: { mark: string | null; epoch?: string; at: number };

  constructor(
    private readonly registry: SessionRegistry,
    private readonly revocations: TokenRevocations,
    @Optional() private readonly epoch?: RedisEpoch,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), REVOCATION_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async check(): Promise<void> {
    this.closeExpired();
    if (this.checking) return;
    this.checking = true;
    try {
      const sessions = this.registry
        .all()
        .filter((session) => !this.closed.has(session));
      if (sessions.length === 0) return;
      const mark = await this.revocations.mark();
      const epoch = this.epoch?.current?.id;
      const { swept } = this;
      if (
        swept?.mark === mark &&
        swept.epoch === epoch &&
        Date.now() - swept.at < REVOCATION_SWEEP_MS
      )
        return;
      await this.sweep(sessions, epoch);
      this.swept = { mark, epoch, at: Date.now() };
    } catch (err) {
      this.logger.debug(`Revocation check skipped: ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  private closeExpired(): void {
    const now = Date.now();
    for (const session of this.registry.all()) {
      if (now < session.expiresAt || this.closed.has(session)) continue;
      this.close(
        session,
        'Your login has expired: log in again',
        'Login expired',
      );
    }
  }

  private async sweep(
    sessions: ChatSession[],
    epoch: string | undefined,
  ): Promise<void> {
    const revoked = await this.revocations.revokedAmong(
      sessions.map((session) => session.claims),
    );
    // A token from before Redis lost its data names another epoch: its session goes too.
    sessions
      .filter(
        (session) =>
          revoked.has(session.claims.jti) ||
          (epoch !== undefined && session.claims.ep !== epoch),
      )
      .forEach((session) =>
        this.close(
          session,
          'Your login was revoked (logged out, or the account is gone): log in again',
          'Token revoked',
        ),
      );
  }

  private close(session: ChatSession, message: string, reason: string): void {
    this.closed.add(session);
    this.logger.log(`Closing a session of ${session.username}: ${reason}`);
    session.send(errorFrame(ErrorCode.Unauthorized, message));
    session.close(CLOSE_UNAUTHORIZED, reason);
  }
}
