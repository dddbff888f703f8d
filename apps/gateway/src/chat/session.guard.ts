import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { ErrorCode } from '@app/protocol';

import { MetricsService } from '../metrics/metrics.service';

import { ChatError } from './chat-error';
import { ChatSession } from './chat-session';
import { ChatSocket } from './chat-ws.adapter';
import { TokenBucket } from './token-bucket';

/**
 * Runs before every frame's handler: the session must exist and its login must not have expired
 * (`UNAUTHORIZED`, then the filter closes the socket with 4401), and the socket must keep to its frame
 * rate (`RATE_LIMITED`; the frame is dropped). Messages are also limited per user, in `publish.lua`.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  private readonly buckets = new WeakMap<ChatSession, TokenBucket>();
  private readonly perSecond: number;
  private readonly burst: number;

  constructor(
    config: ConfigService,
    private readonly metrics: MetricsService,
  ) {
    this.perSecond = config.getOrThrow<number>('RATE_LIMIT_PER_SECOND');
    this.burst = config.getOrThrow<number>('RATE_LIMIT_BURST');
  }

  canActivate(context: ExecutionContext): boolean {
    const session = context.switchToWs().getClient<ChatSocket>().session;
    if (!session)
      throw new ChatError(
        ErrorCode.Unauthorized,
        'This socket has no session: log in and connect again',
      );
    if (Date.now() >= session.expiresAt)
      throw new ChatError(
        ErrorCode.Unauthorized,
        'Your login has expired: log in again',
      );
    let bucket = this.buckets.get(session);
    if (!bucket)
      this.buckets.set(
        session,
        (bucket = new TokenBucket(this.perSecond, this.burst)),
      );
    if (!bucket.take()) {
      this.metrics.rateLimited();
      throw new ChatError(
        ErrorCode.RateLimited,
        'Too many frames: slow down and send this again',
      );
    }
    return true;
  }
}
