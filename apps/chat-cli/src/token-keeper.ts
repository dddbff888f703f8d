import { ConnectError } from './connect-error';

export interface TokenTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: TokenTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Node's timers take at most this delay (about 24.8 days). */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** A failed refresh is tried again at half the remaining life, while at least this much is left. */
const MIN_RETRY_MS = 1000;

export interface TokenLifetime {
  issuedAt?: number;
  expiresAt?: number;
}

/**
 * Keeps the login token in memory, so that reconnects present it instead of the password (every
 * password login costs the server a memory-hard hash), and trades it for a fresh one at `share` of
 * its life. The token is never written anywhere.
 */
export class TokenKeeper {
  private token?: string;
  private timer?: unknown;
  private stopped = false;

  constructor(
    private readonly refresh: (token: string) => Promise<string | undefined>,
    private readonly share = 0.8,
    private readonly timers: TokenTimers = REAL_TIMERS,
  ) {}

  get current(): string | undefined {
    return this.token;
  }

  /**
   * The token to reconnect with: the kept one, first traded for a fresh one through `refresh` (at the
   * instance about to be used) when its refresh is due; undefined when there is none, it expired, or
   * the server refused it, so the password is needed.
   */
  async usable(
    refresh: (token: string) => Promise<string | undefined>,
  ): Promise<string | undefined> {
    const token = this.token;
    if (!token) return undefined;
    const { issuedAt, expiresAt } = TokenKeeper.lifetime(token);
    if (expiresAt === undefined) return token;
    const now = this.timers.now();
    if (expiresAt <= now) {
      this.forget(token);
      return undefined;
    }
    const from = issuedAt !== undefined && issuedAt <= now ? issuedAt : now;
    if (now < from + (expiresAt - from) * this.share) return token;
    try {
      const fresh = await refresh(token);
      if (fresh && this.token === token && !this.stopped) this.keep(fresh);
    } catch (error) {
      if (error instanceof ConnectError && error.failure === 'token')
        this.forget(token);
    }
    return this.token;
  }

  keep(token: string): void {
    this.token = token;
    this.schedule(token);
  }

  /** Drops `token` if it is still the kept one: a 401 or a 4401 close said it is no good any more. */
  forget(token: string): void {
    if (this.token !== token) return;
    this.token = undefined;
    this.cancel();
  }

  stop(): void {
    this.stopped = true;
    this.token = undefined;
    this.cancel();
  }

  /** `iat` and `exp` of a JWT in milliseconds, read from its payload without verifying it (only the server can). */
  static lifetime(token: string): TokenLifetime {
    try {
      const claims: unknown = JSON.parse(
        Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
      );
      if (!claims || typeof claims !== 'object') return {};
      const { iat, exp } = claims as Record<string, unknown>;
      return {
        issuedAt:
          typeof iat === 'number' && Number.isFinite(iat)
            ? iat * 1000
            : undefined,
        expiresAt:
          typeof exp === 'number' && Number.isFinite(exp)
            ? exp * 1000
            : undefined,
      };
    } catch {
      return {};
    }
  }

  private schedule(token: string): void {
    this.cancel();
    const { issuedAt, expiresAt } = TokenKeeper.lifetime(token);
    if (expiresAt === undefined || this.stopped) return;
    const now = this.timers.now();
    const from = issuedAt !== undefined && issuedAt <= now ? issuedAt : now;
    this.later(token, from + (expiresAt - from) * this.share - now);
  }

  private later(token: string, ms: number): void {
    this.timer = this.timers.setTimeout(
      () => void this.renew(token),
      Math.min(MAX_DELAY_MS, Math.max(0, ms)),
    );
  }

  private async renew(token: string): Promise<void> {
    this.timer = undefined;
    try {
      const fresh = await this.refresh(token);
      // undefined: this server cannot refresh; the token then serves until it expires.
      if (fresh && this.token === token && !this.stopped) this.keep(fresh);
    } catch (error) {
      if (this.token !== token || this.stopped) return;
      if (error instanceof ConnectError && error.failure === 'token')
        return this.forget(token);
      const left =
        (TokenKeeper.lifetime(token).expiresAt ?? 0) - this.timers.now();
      if (left >= 2 * MIN_RETRY_MS) this.later(token, left / 2);
    }
  }

  private cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
