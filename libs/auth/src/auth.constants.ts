/** This gateway instance's name, for audit lines. */
export const AUTH_INSTANCE = Symbol('AUTH_INSTANCE');

export const KNOWN_ADDRESS_SECONDS = 30 * 86400;
