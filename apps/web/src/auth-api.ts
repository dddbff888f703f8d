import { LoginResponse } from '@app/protocol';

/** A refused request: its status, the server's message, and Retry-After in ms when it sent one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

async function post<T>(
  url: string,
  init: { token?: string; body?: unknown },
): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...(init.token && { authorization: `Bearer ${init.token}` }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await res.json().catch(() => ({}))) as T & {
    message?: string | string[];
  };
  if (res.ok) return body;
  const seconds = Number(res.headers.get('retry-after'));
  throw new HttpError(
    res.status,
    [body.message ?? `Request failed (HTTP ${res.status})`].flat().join('; '),
    Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
  );
}

/** `POST /auth/login`; a refused login throws an HttpError whose message is the server's. */
export function login(
  username: string,
  password: string,
): Promise<LoginResponse> {
  return post('/auth/login', { body: { username, password } });
}

/** A single-use ticket for one WebSocket to the instance at `base`: the token never goes into a URL. */
export async function ticket(base: string, token: string): Promise<string> {
  return (
    await post<{ ticket: string }>(new URL('/auth/ticket', base).href, {
      token,
    })
  ).ticket;
}

/** A fresh token for the same user; the old one stays valid until it expires. */
export async function refresh(token: string): Promise<string> {
  return (await post<{ token: string }>('/auth/refresh', { token })).token;
}

/** Best effort: the token stops working on every instance. */
export async function logout(token: string): Promise<void> {
  await post('/auth/logout', { token }).catch(() => undefined);
}
