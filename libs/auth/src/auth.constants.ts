/** This gateway instance's name, for audit lines. */
export const AUTH_INSTANCE = Symbol('AUTH_INSTANCE');

export const JWT_SECRET_KEY = 'chat:jwt:secret';
export const USER_KEY_PREFIX = 'chat:user:';

/** An account's hash: `name` (as registered), `hash` (argon2id), `createdAt` and `revokedBefore` (ms). */
export const userKey = (name: string): string =>
  USER_KEY_PREFIX + name.toLowerCase();
/** Bumped by every logout, so instances re-check their sessions only when something was revoked. */
export const REVOCATIONS_KEY = 'chat:revocations';
/** Present (until the token would have expired anyway) once the token with this `jti` is logged out. */
export const revokedKey = (jti: string): string => `chat:revoked:${jti}`;
export const loginFailuresKey = (name: string, address: string): string =>
  `chat:login-failures:${name.toLowerCase()}:${address}`;
export const addressFailuresKey = (address: string): string =>
  `chat:login-failures-from:${address}`;
/** Failed logins of one account from addresses it never logged in from (LOGIN_MAX_FAILURES_PER_ACCOUNT). */
export const accountFailuresKey = (name: string): string =>
  `chat:login-failures-account:${name.toLowerCase()}`;
/** Present for KNOWN_ADDRESS_SECONDS after the account logged in successfully from the address. */
export const knownAddressKey = (name: string, address: string): string =>
  `chat:login-known:${name.toLowerCase()}:${address}`;
export const KNOWN_ADDRESS_SECONDS = 30 * 86400;
export const registrationsKey = (address: string): string =>
  `chat:registrations-from:${address}`;
/** New accounts across the cluster in the current hour (REGISTRATIONS_PER_HOUR). */
export const CLUSTER_REGISTRATIONS_KEY = 'chat:registrations';
/** A WebSocket ticket (POST /auth/ticket): the claims of the token it stands for, until used once or expired. */
export const ticketKey = (ticket: string): string => `chat:ticket:${ticket}`;
