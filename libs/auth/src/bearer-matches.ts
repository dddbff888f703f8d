import { createHash, timingSafeEqual } from 'node:crypto';
import { IncomingHttpHeaders } from 'node:http';

import { bearerToken } from './bearer-token';

const digest = (text: string): Buffer =>
  createHash('sha256').update(text).digest();

/** Whether the request's `Authorization: Bearer` token is `expected`, compared in constant time. */
export function bearerMatches(
  headers: IncomingHttpHeaders,
  expected: string,
): boolean {
  return timingSafeEqual(digest(bearerToken(headers) ?? ''), digest(expected));
}
