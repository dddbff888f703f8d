/** Shared contract 2: full-jitter exponential backoff from this base, doubling, up to the cap. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** The restart window a client assumes when the server closed with 1012/1001 but sent no `reconnect`. */
export const DEFAULT_RESTART_WINDOW_MS = 5000;
/** The longest restart window a client honours, so that no server can park it for hours. */
export const MAX_RESTART_WINDOW_MS = 300_000;

export interface BackoffLimits {
  baseMs: number;
  maxMs: number;
}

export interface ReconnectCause {
  /** Failed attempts since the last connection that opened (0 for the first retry). */
  attempt: number;
  /** Set when the server asked for a reconnect (a `reconnect` frame, or a close with 1012/1001). */
  restartWithinMs?: number;
  /** A 429/503's Retry-After, in ms: the wait is at least this long. */
  retryAfterMs?: number;
}

/**
 * How long to wait before the next connection attempt: a restart spreads everyone uniformly over its
 * window, anything else backs off with full jitter, and Retry-After is a floor.
 */
export function reconnectDelay(
  cause: ReconnectCause,
  random: () => number = Math.random,
  limits: BackoffLimits = {
    baseMs: RECONNECT_BASE_MS,
    maxMs: RECONNECT_MAX_MS,
  },
): number {
  const spread =
    cause.restartWithinMs !== undefined
      ? Math.min(cause.restartWithinMs, MAX_RESTART_WINDOW_MS)
      : Math.min(limits.maxMs, limits.baseMs * 2 ** cause.attempt);
  return Math.max(Math.round(random() * spread), cause.retryAfterMs ?? 0);
}
