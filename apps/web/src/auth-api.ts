import { LoginResponse } from '@app/protocol';

/** `POST /auth/login`; a refused login throws an Error whose message is the server's. */
export async function login(
  username: string,
  password: string,
): Promise<LoginResponse> {
  const res = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res
    .json()
    .catch(() => ({}))) as Partial<LoginResponse> & {
    message?: string | string[];
  };
  if (!res.ok)
    throw new Error(
      [body.message ?? `Login failed (HTTP ${res.status})`].flat().join('; '),
    );
  return body as LoginResponse;
}

/** False only when the server says the token is no longer valid. */
export async function tokenValid(token: string): Promise<boolean> {
  const res = await fetch('/auth/me', {
    headers: { authorization: `Bearer ${token}` },
  });
  return res.status !== 401;
}

/** Best effort: the token stops working on every instance where the server supports `POST /auth/logout`. */
export async function logout(token: string): Promise<void> {
  await fetch('/auth/logout', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => undefined);
}
