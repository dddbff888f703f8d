/** What a login token says: checked by AuthService.verify. */
export interface TokenClaims {
  /** The user's name as registered. */
  sub: string;
  /** Seconds since the epoch (fractional: milliseconds count when a logout of every token is compared). */
  iat: number;
  exp: number;
  /** A random id, so one token can be logged out alone. */
  jti: string;
  /** The Redis data set (epoch) the token was issued in: a token from before a data loss is refused. */
  ep?: string;
}

export const isTokenClaims = (value: unknown): value is TokenClaims => {
  const claims = value as Partial<TokenClaims> | null;
  return (
    typeof claims === 'object' &&
    claims !== null &&
    typeof claims.sub === 'string' &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number' &&
    typeof claims.jti === 'string' &&
    claims.jti.length > 0
  );
};
