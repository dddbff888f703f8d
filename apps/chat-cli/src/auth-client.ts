import { request } from 'node:https';
import { TLSSocket } from 'node:tls';

import { LoginResponse } from '@app/protocol';

import { ConnectError } from './connect-error';
import { TlsSettings } from './tls-trust';

export interface Endpoint {
  host: string;
  port: number;
}

export function address(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

interface HttpReply {
  status: number;
  body?: Record<string, unknown>;
  retryAfterMs?: number;
}

/** The HTTPS side of the gateway: `POST /auth/login` and `POST /auth/refresh`. */
export class AuthClient {
  constructor(
    private readonly tls: TlsSettings,
    private readonly timeoutMs = 10_000,
  ) {}

  async login(
    endpoint: Endpoint,
    username: string,
    password: string,
  ): Promise<LoginResponse> {
    const where = address(endpoint);
    const { status, body, retryAfterMs } = await this.post(
      endpoint,
      '/auth/login',
      { username, password },
    );
    if (status === 200 && typeof body?.token === 'string')
      return body as unknown as LoginResponse;
    const message = messageOf(body);
    if (status === 401)
      return this.fail(
        'login',
        `Login failed: ${message ?? 'wrong user name or password'}`,
      );
    if (status === 400 || status === 403)
      return this.fail(
        'login',
        `Login refused: ${message ?? 'the server rejected the request'}`,
      );
    if (status === 429)
      return this.fail(
        'network',
        `Login refused by ${where}: ${message ?? 'too many attempts, try again later'}`,
        retryAfterMs,
      );
    return this.fail(
      'protocol',
      `Login at ${where} failed: HTTP ${status}${message ? ` (${message})` : ''}`,
      retryAfterMs,
    );
  }

  /**
   * Trades a valid token for a fresh one. Resolves undefined when the server has no refresh endpoint
   * (404); a refused token (401) is a `token` failure.
   */
  async refresh(
    endpoint: Endpoint,
    token: string,
  ): Promise<string | undefined> {
    const where = address(endpoint);
    const { status, body, retryAfterMs } = await this.post(
      endpoint,
      '/auth/refresh',
      undefined,
      { authorization: `Bearer ${token}` },
    );
    if (status === 200 && typeof body?.token === 'string') return body.token;
    if (status === 404) return undefined;
    if (status === 401)
      return this.fail(
        'token',
        `${where} refused to refresh the token: ${messageOf(body) ?? 'HTTP 401'}`,
      );
    return this.fail(
      'network',
      `Refreshing the token at ${where} failed: HTTP ${status}`,
      retryAfterMs,
    );
  }

  private post(
    endpoint: Endpoint,
    path: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpReply> {
    const where = address(endpoint);
    const body = payload === undefined ? '' : JSON.stringify(payload);
    return new Promise<HttpReply>((resolve, reject) => {
      const req = request(
        {
          host: endpoint.host,
          port: endpoint.port,
          path,
          method: 'POST',
          agent: false,
          ...this.tls,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...headers,
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: parseBody(text),
              retryAfterMs: ConnectError.retryAfter(res.headers['retry-after']),
            }),
          );
          res.on('error', (error) => reject(ConnectError.from(error, where)));
        },
      );
      req.on('error', (error) => reject(ConnectError.from(error, where)));
      req.on('timeout', () =>
        req.destroy(
          new ConnectError(
            'network',
            `Cannot connect to ${where}: no answer within ${this.timeoutMs / 1000} s`,
          ),
        ),
      );
      // The request (and so the password or token) is written only once the certificate has been verified.
      // agent: false gives a fresh socket, so its handshake is always still ahead here.
      req.once('socket', (socket) =>
        (socket as TLSSocket).once('secureConnect', () => req.end(body)),
      );
    });
  }

  private fail(
    kind: 'login' | 'token' | 'network' | 'protocol',
    message: string,
    retryAfterMs?: number,
  ): never {
    throw new ConnectError(kind, message, retryAfterMs);
  }
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = text ? JSON.parse(text) : undefined;
    return body && typeof body === 'object'
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(
  body: Record<string, unknown> | undefined,
): string | undefined {
  if (typeof body?.message === 'string') return body.message;
  return Array.isArray(body?.message) ? body.message.join('; ') : undefined;
}
