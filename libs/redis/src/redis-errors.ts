/* Failures that mean "Redis cannot answer now" (down, restarting, too slow), as opposed to a bad command. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
]);
const UNAVAILABLE_NAMES = new Set(['AbortError', 'MaxRetriesPerRequestError']);
const UNAVAILABLE_MESSAGES =
  /^(Command timed out|Connection is closed|Stream isn't writeable|LOADING |MASTERDOWN |READONLY |CLUSTERDOWN |BUSY )/;

/** True for ioredis errors that a retry after a pause may cure: connection lost, command timed out, Redis loading. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (
    (code !== undefined && UNAVAILABLE_CODES.has(code)) ||
    UNAVAILABLE_NAMES.has(err.name) ||
    UNAVAILABLE_MESSAGES.test(err.message)
  );
}

/** True when Redis refused a write because it reached `maxmemory` (with `maxmemory-policy noeviction`). */
export function isRedisOutOfMemory(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // A MULTI whose commands were refused fails as EXECABORT, with the refusals in `previousErrors`.
  const previous = (err as { previousErrors?: unknown[] }).previousErrors ?? [];
  return /\bOOM\b/.test(err.message) || previous.some(isRedisOutOfMemory);
}

/** What a user is told when Redis is full: nothing was stored, and why. */
export const STORE_FULL_MESSAGE =
  'The chat store is full (Redis reached its maxmemory), so nothing was stored: try again later, and tell the server operator';
