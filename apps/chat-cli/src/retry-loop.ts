import { address, Endpoint } from './auth-client';
import { Backoff } from './backoff';
import { ConnectError } from './connect-error';

export interface Retrying {
  endpoint: Endpoint;
  attempt: number;
  attempts: number;
  delayMs: number;
  error?: ConnectError;
}

export interface RetryPlan<T> {
  backoff: Backoff;
  /** Set when the server is restarting: the first attempt is spread over this window. */
  restartWindowMs?: number;
  /** Where attempt `n` (0-based) goes. */
  target(attempt: number): Endpoint;
  connect(endpoint: Endpoint): Promise<T>;
  /** Waits `ms`; may end early when the caller is closing. */
  sleep(ms: number): Promise<void>;
  /** Told before each wait. */
  onRetry(retrying: Retrying): void;
  /** True once the caller is closing: the loop ends quietly. */
  cancelled(): boolean;
}

/**
 * Tries `connect` with backoff (honouring a restart window and `Retry-After`) until it succeeds, the backoff runs out, or a fatal error (a refused
 * login, an untrusted certificate) makes trying again pointless.
 */
export class RetryLoop<T> {
  constructor(private readonly plan: RetryPlan<T>) {}

  /** The first success; undefined when cancelled; throws a ConnectError when it gives up. */
  async run(): Promise<T | undefined> {
    const { backoff } = this.plan;
    let lastError: ConnectError | undefined;
    for (let attempt = 0; ; attempt++) {
      if (this.plan.cancelled()) return undefined;
      const delayMs = backoff.delay(attempt, {
        restartWindowMs: attempt === 0 ? this.plan.restartWindowMs : undefined,
        retryAfterMs: lastError?.retryAfterMs,
      });
      if (delayMs === undefined) {
        const why = lastError ? `: ${lastError.message}` : '';
        throw new ConnectError(
          lastError?.failure ?? 'network',
          `Gave up reconnecting after ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}${why}`,
        );
      }
      const endpoint = this.plan.target(attempt);
      this.plan.onRetry({
        endpoint,
        attempt: attempt + 1,
        attempts: backoff.attempts,
        delayMs,
        error: lastError,
      });
      await this.plan.sleep(delayMs);
      if (this.plan.cancelled()) return undefined;
      try {
        return await this.plan.connect(endpoint);
      } catch (error) {
        if (this.plan.cancelled()) return undefined;
        lastError = ConnectError.from(error, address(endpoint));
        if (lastError.fatal) throw lastError;
      }
    }
  }
}
