import { Inject, Injectable } from '@nestjs/common';

import { execPipeline, REDIS, RedisClient } from '@app/redis';

import { Account, ACCOUNT_FIELDS, toAccount } from './account';
import { REVOCATIONS_KEY, revokedKey, userKey } from './auth.constants';
import { TokenClaims } from './token-claims';

/** A token is good while its user's account exists, is the one it was issued for, and neither logout touched it. */
const stillValid = (claims: TokenClaims, account: Account | null): boolean =>
  account !== null &&
  account.name === claims.sub &&
  Math.round(claims.iat * 1000) >= account.createdAt &&
  Math.round(claims.iat * 1000) > account.revokedBefore;

/** Logouts in Redis: one key per logged-out token, and a `revokedBefore` time per user for "log out everywhere". */
@Injectable()
export class TokenRevocations {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /** Revokes this token until it would have expired anyway. */
  async revoke(claims: TokenClaims): Promise<void> {
    const ttl = Math.ceil(claims.exp - Date.now() / 1000);
    if (ttl <= 0) return;
    await execPipeline(
      this.redis
        .multi()
        .set(revokedKey(claims.jti), '1', 'EX', ttl)
        .incr(REVOCATIONS_KEY),
    );
  }

  /** Revokes every token of the user issued up to `now` (ms). */
  async revokeAllBefore(claims: TokenClaims, now = Date.now()): Promise<void> {
    await execPipeline(
      this.redis
        .multi()
        .hset(userKey(claims.sub), 'revokedBefore', now)
        .incr(REVOCATIONS_KEY),
    );
  }

  /**
   * A mark that changes with every logout (and with a loss of Redis's data): while it stays the same,
   * no token that was good is revoked, so watchers need not look at each one.
   */
  async mark(): Promise<string | null> {
    return this.redis.get(REVOCATIONS_KEY);
  }

  /**
   * The `jti`s among `claims` that are no longer good: logged out, issued before a logout of every
   * token, or whose user no longer has that account. One Redis round trip for any number of tokens.
   */
  async revokedAmong(claims: TokenClaims[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const users = [...new Set(claims.map((c) => c.sub))];
    const pipeline = this.redis.pipeline();
    users.forEach((user) => pipeline.hmget(userKey(user), ...ACCOUNT_FIELDS));
    claims.forEach((c) => pipeline.exists(revokedKey(c.jti)));
    const replies = await execPipeline(pipeline);
    const accounts = new Map(
      users.map((user, i) => [
        user,
        toAccount(userKey(user), replies[i] as Array<string | null>),
      ]),
    );
    const revoked = claims.filter(
      (c, i) =>
        replies[users.length + i] === 1 ||
        !stillValid(c, accounts.get(c.sub) ?? null),
    );
    return new Set(revoked.map((c) => c.jti));
  }
}
