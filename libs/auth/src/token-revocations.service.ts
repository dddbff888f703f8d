import { Inject, Injectable } from '@nestjs/common';

import { REDIS, RedisClient } from '@app/redis';

import { Account, ACCOUNT_FIELDS, toAccount } from './account';
import { AuthKeys } from './auth-keys';
import { TokenClaims } from './token-claims';

/** A token is good while its user's account exists, is the one it was issued for, and neither logout touched it. */
const stillValid = (claims: TokenClaims, account: Account | null): boolean =>
  account !== null &&
  account.name === claims.sub &&
  Math.round(claims.iat * 1000) >= account.createdAt &&
  Math.round(claims.iat * 1000) > account.revokedBefore;

/** A token's standing: good, no longer good (logged out, or its account is gone or new), or its account disabled. */
export type TokenStanding = 'good' | 'revoked' | 'disabled';

/**
 * Logouts in Redis: one key per logged-out token, and a `revokedBefore` time per user for "log out
 * everywhere"; then the mark is bumped (another slot: a second step, after the first, so a watcher that
 * sees the new mark finds the revocation; a logout cut between them is refused to the client, who
 * repeats it, and both steps are safe to repeat).
 */
@Injectable()
export class TokenRevocations {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /** Revokes this token until it would have expired anyway. */
  async revoke(claims: TokenClaims): Promise<void> {
    const ttl = Math.ceil(claims.exp - Date.now() / 1000);
    if (ttl <= 0) return;
    await this.redis.set(
      AuthKeys.revoked(claims.sub, claims.jti),
      '1',
      'EX',
      ttl,
    );
    await this.redis.incr(AuthKeys.revocations);
  }

  /** Revokes every token of the user issued up to `now` (ms). */
  async revokeAllBefore(claims: TokenClaims, now = Date.now()): Promise<void> {
    await this.redis.hset(AuthKeys.account(claims.sub), 'revokedBefore', now);
    await this.redis.incr(AuthKeys.revocations);
  }

  /**
   * A mark that changes with every logout (and with a loss of Redis's data): while it stays the same,
   * no token that was good is revoked, so watchers need not look at each one.
   */
  async mark(): Promise<string | null> {
    return this.redis.get(AuthKeys.revocations);
  }

  /** Whether the token is still good and its account enabled, in one round trip (its keys share a slot). */
  async standing(claims: TokenClaims): Promise<TokenStanding> {
    const [account, revoked] = await Promise.all([
      this.account(claims.sub),
      this.redis.exists(AuthKeys.revoked(claims.sub, claims.jti)),
    ]);
    if (revoked === 1 || !stillValid(claims, account)) return 'revoked';
    return account?.disabled ? 'disabled' : 'good';
  }

  /**
   * The `jti`s among `claims` that are no longer good: logged out, issued before a logout of every
   * token, or whose user no longer has that account. One Redis round trip for any number of tokens.
   */
  async revokedAmong(claims: TokenClaims[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const users = [...new Set(claims.map((c) => c.sub))];
    // Keys of many slots: one command each, all sent at once (a pipeline must stay in one slot).
    const [accounts, revoked] = await Promise.all([
      Promise.all(users.map((user) => this.account(user))),
      Promise.all(
        claims.map((c) => this.redis.exists(AuthKeys.revoked(c.sub, c.jti))),
      ),
    ]);
    const byUser = new Map(users.map((user, i) => [user, accounts[i]]));
    const gone = claims.filter(
      (c, i) => revoked[i] === 1 || !stillValid(c, byUser.get(c.sub) ?? null),
    );
    return new Set(gone.map((c) => c.jti));
  }

  /* An account not yet moved from its pre-cluster key is read there (UsersService.adopt moves it at login). */
  private async account(user: string): Promise<Account | null> {
    const key = AuthKeys.account(user);
    const found = toAccount(
      key,
      await this.redis.hmget(key, ...ACCOUNT_FIELDS),
      user,
    );
    if (found) return found;
    const legacy = AuthKeys.legacyAccount(user.toLowerCase());
    return toAccount(
      legacy,
      await this.redis.hmget(legacy, ...ACCOUNT_FIELDS),
      user,
    );
  }
}
