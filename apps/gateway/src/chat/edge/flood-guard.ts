import { TokenBucket } from './token-bucket';

export interface FloodLimits {
  /** RATE_LIMIT_PER_SECOND: frames a socket may send per second on average. */
  perSecond: number;
  /** RATE_LIMIT_BURST: frames it may send at once, and frames that may wait for their turn. */
  burst: number;
  /** RATE_LIMIT_STRIKES: refusals within `STRIKE_WINDOW_MS` before the socket is cut off. */
  strikes: number;
}

/** How long a rate-limit refusal counts towards the strikes. */
export const STRIKE_WINDOW_MS = 60000;

/** What to do with a frame that just arrived: handle it, refuse it, or refuse it and cut the socket off. */
export type FloodVerdict = 'pass' | 'refuse' | 'cut';

/**
 * One session's frame rate and its strikes. A frame is judged as it arrives, before it is parsed or
 * queued, so a flooding socket costs about what reading its frames costs. Every refusal of a rate limit
 * is a strike, here or elsewhere (the per-user message limit calls `strike`), so a flood always ends.
 */
export class FloodGuard {
  private readonly bucket: TokenBucket;
  private recent: number[] = [];

  constructor(
    private readonly limits: FloodLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(limits.perSecond, limits.burst, now);
  }

  /** A frame arrived while `waiting` earlier frames of the session are not handled yet. */
  admit(waiting: number): FloodVerdict {
    if (waiting < this.limits.burst && this.bucket.take()) return 'pass';
    return this.strike() ? 'cut' : 'refuse';
  }

  /** Counts a refusal; true when the session has used up its strikes. */
  strike(): boolean {
    const now = this.now();
    this.recent = this.recent
      .filter((at) => now - at < STRIKE_WINDOW_MS)
      .slice(1 - this.limits.strikes);
    this.recent.push(now);
    return this.recent.length >= this.limits.strikes;
  }
}
