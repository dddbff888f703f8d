export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
  attempts: number;
}

/** 500 ms doubling to 30 s, the cluster's contract for every client; about 8 minutes of tries in all. */
export const DEFAULT_BACKOFF: BackoffSettings = {
  baseMs: 500,
  maxMs: 30_000,
  attempts: 20,
};

/** A server restart window when the server said none (a bare 1012 or 1001 close). */
export const DEFAULT_RESTART_WINDOW_MS = 5000;

export interface DelayHints {
  /** The server is restarting (a `reconnect` notice, or close 1012/1001): the first attempt waits a random part of this window. */
  restartWindowMs?: number;
  /** The last refusal's `Retry-After`: the attempt waits at least this long. */
  retryAfterMs?: number;
}

/**
 * Exponential backoff with "full jitter": attempt n waits a uniformly random time up to
 * min(max, base * 2^n), so clients dropped together do not come back together.
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
    const ceiling =
      attempt === 0 && hints.restartWindowMs !== undefined
        ? hints.restartWindowMs
        : Math.min(this.settings.maxMs, this.settings.baseMs * 2 ** attempt);
    return Math.round(
      Math.max(this.random() * ceiling, hints.retryAfterMs ?? 0),
    );
  }
}
