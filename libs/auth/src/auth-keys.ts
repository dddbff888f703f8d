/**
 * The keys of the auth library, each with the hash tag of the one slot its scripts and MULTIs touch (see
 * docs/OPERATIONS.md, "Key layout"). `<name>` is the account name in lower case, so one user's keys share
 * the slot of the chat's `chat:{u:<user>}` keys for the same name when it is lower case.
 *
 *   auth:{u:<name>}:account            hash: name (as registered), hash (argon2id), createdAt, revokedBefore (ms)
 *   auth:{u:<name>}:revoked:<jti>      present (until the token would have expired anyway) once it is logged out
 *   auth:{u:<name>}:failures:<address> failed logins of the name from the address (LOGIN_MAX_FAILURES)
 *   auth:{u:<name>}:failures           failed logins of the account from unknown addresses (LOGIN_MAX_FAILURES_PER_ACCOUNT)
 *   auth:{u:<name>}:known:<address>    present for KNOWN_ADDRESS_SECONDS after a login from the address
 *   auth:{a:<address>}:failures        failed logins from the address, whatever the names (LOGIN_MAX_FAILURES_PER_ADDRESS)
 *   auth:{a:<address>}:registrations   new accounts from the address in the window (REGISTRATIONS_PER_ADDRESS)
 *   auth:{registrations}               new accounts across the cluster in the current hour (REGISTRATIONS_PER_HOUR)
 *   auth:{revocations}                 bumped by every logout, so instances re-check sessions only then
 *   auth:{t:<ticket>}                  a WebSocket ticket: the claims of its token, until used once or expired
 *   auth:{jwt}:secret                  the shared signing secret when CHAT_JWT_SECRET is unset
 *   chat:{settings}                    hash setting -> value of the settings every instance must agree on
 *
 * Older key names read once and moved (see UsersService, JwtSecret): `chat:user:<name>` (accounts,
 * under the exact name before names were case-insensitive) and `chat:jwt:secret`.
 */
const lower = (name: string): string => name.toLowerCase();

export const AuthKeys = {
  account: (name: string): string => `auth:{u:${lower(name)}}:account`,
  revoked: (name: string, jti: string): string =>
    `auth:{u:${lower(name)}}:revoked:${jti}`,
  loginFailures: (name: string, address: string): string =>
    `auth:{u:${lower(name)}}:failures:${address}`,
  accountFailures: (name: string): string => `auth:{u:${lower(name)}}:failures`,
  knownAddress: (name: string, address: string): string =>
    `auth:{u:${lower(name)}}:known:${address}`,
  addressFailures: (address: string): string => `auth:{a:${address}}:failures`,
  registrations: (address: string): string =>
    `auth:{a:${address}}:registrations`,
  clusterRegistrations: 'auth:{registrations}',
  revocations: 'auth:{revocations}',
  ticket: (ticket: string): string => `auth:{t:${ticket}}`,
  jwtSecret: 'auth:{jwt}:secret',
  clusterSettings: 'chat:{settings}',
  /** Accounts before the cluster layout: `chat:user:<name>`, lower case or (older) as registered. */
  legacyAccount: (name: string): string => `chat:user:${name}`,
  legacyJwtSecret: 'chat:jwt:secret',
} as const;
