import {
  BackoffLimits,
  reconnectDelay,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
} from '@app/protocol';

export interface BackoffSettings extends BackoffLimits {
  attempts: number;
}

/** 500 ms doubling to 30 s, the cluster's contract for every client; about 8 minutes of tries in all. */
export const DEFAULT_BACKOFF: BackoffSettings = {
  baseMs: RECONNECT_BASE_MS,
  maxMs: RECONNECT_MAX_MS,
  attempts: 20,
};

export interface DelayHints {
  /** The server is restarting (a `reconnect` notice, or close 1012/1001): the first attempt waits a random part of this window. */
  restartWindowMs?: number;
  /** The last refusal's `Retry-After`: the attempt waits at least this long. */
  retryAfterMs?: number;
}

/**
 * Exponential backoff with "full jitter" (`reconnectDelay`, shared with the browser page): attempt n waits a
 * uniformly random time up to min(max, base * 2^n), so clients dropped together do not come back together.
 */
export class Backoff {
  constructor(
    private readonly settings: BackoffSettings = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.settings.attempts;
  }

  /** The wait before attempt `attempt` (0-based), or undefined when there are no attempts left. */
  delay(attempt: number, hints: DelayHints = {}): number | undefined {
    if (attempt >= this.settings.attempts) return undefined;
    return reconnectDelay(
      {
        attempt,
        restartWithinMs: attempt === 0 ? hints.restartWindowMs : undefined,
        retryAfterMs: hints.retryAfterMs,
      },
      this.random,
      this.settings,
    );
  }
}
