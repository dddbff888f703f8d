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

/** `POST /auth/login` over HTTPS. */
export class LoginClient {
  constructor(
    private readonly tls: TlsSettings,
    private readonly timeoutMs = 10_000,
  ) {}

  login(endpoint: Endpoint, username: string, password: string): Promise<LoginResponse> {
    const where = address(endpoint);
    const body = JSON.stringify({ username, password });
    return new Promise<LoginResponse>((resolve, reject) => {
      const req = request(
        {
          host: endpoint.host,
          port: endpoint.port,
          path: '/auth/login',
          method: 'POST',
          agent: false,
          ...this.tls,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: this.timeoutMs,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            try {
              resolve(this.reply(res.statusCode ?? 0, text, where));
            } catch (error) {
              reject(error);
            }
          });
          res.on('error', (error) => reject(ConnectError.from(error, where)));
        },
      );
      req.on('error', (error) => reject(ConnectError.from(error, where)));
      req.on('timeout', () => req.destroy(new ConnectError('network', `Cannot connect to ${where}: no answer within ${this.timeoutMs / 1000} s`)));
      // The body (and so the password) is written only once the certificate has been verified.
      // agent: false gives a fresh socket, so its handshake is always still ahead here.
      req.once('socket', (socket) => (socket as TLSSocket).once('secureConnect', () => req.end(body)));
    });
  }

  private reply(status: number, text: string, where: string): LoginResponse {
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (status === 200 && typeof body?.token === 'string') return body as unknown as LoginResponse;
    const message = typeof body?.message === 'string' ? body.message : Array.isArray(body?.message) ? body.message.join('; ') : undefined;
    if (status === 401) return this.fail('login', `Login failed: ${message ?? 'wrong user name or password'}`);
    if (status === 400) return this.fail('login', `Login refused: ${message ?? 'the server rejected the request'}`);
    if (status === 429) return this.fail('network', `Login refused by ${where}: ${message ?? 'too many attempts, try again later'}`);
    return this.fail('protocol', `Login at ${where} failed: HTTP ${status}${message ? ` (${message})` : ''}`);
  }

  private fail(kind: 'login' | 'network' | 'protocol', message: string): never {
    throw new ConnectError(kind, message);
  }
}
