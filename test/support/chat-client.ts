import { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { WebSocket } from 'ws';

import {
  advanceCursor,
  Cursors,
  DM_STREAM,
  Frame as ProtocolFrame,
  LoginResponse,
  messageStream,
  PROTOCOL,
} from '@app/protocol';

import { CA, GatewayProcess } from './gateway-process';

/** A frame as tests read it: the contract's shape, with loosely typed data. */
export type Frame = ProtocolFrame<string, Record<string, any>>;

export interface HttpReply {
  status: number;
  body: any;
  headers: IncomingHttpHeaders;
}

/**
 * A JSON request over HTTPS that trusts only the development certificate; `localAddress` picks the
 * source address (any of 127.0.0.0/8 on Linux), to look like another client to the gateway.
 */
export function httpsJson(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: localAddress ? '127.0.0.1' : 'localhost',
        localAddress,
        port,
        path,
        method,
        ca: CA,
        headers: { 'content-type': 'application/json', ...headers },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text ? JSON.parse(text) : undefined,
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path} timed out`)),
    );
    req.end(
      body === undefined
        ? undefined
        : typeof body === 'string'
          ? body
          : JSON.stringify(body),
    );
  });
}

export async function login(
  gateway: Pick<GatewayProcess, 'port'>,
  username: string,
  password = 'pw',
): Promise<LoginResponse> {
  const reply = await httpsJson(gateway.port, 'POST', '/auth/login', {
    username,
    password,
  });
  if (reply.status !== 200)
    throw new Error(
      `login of ${username} failed: ${reply.status} ${JSON.stringify(reply.body)}`,
    );
  return reply.body as LoginResponse;
}

/**
 * An open socket (its `welcome` not awaited), or the HTTP status its upgrade was refused with; it offers
 * the protocol version unless `protocols` says otherwise (`[]`: none, as a v1 client did).
 */
export function openSocket(
  gateway: GatewayProcess,
  headers: Record<string, string>,
  query = '',
  protocols: string[] = [PROTOCOL],
): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gateway.wsUrl + query, protocols, {
      ca: CA,
      headers,
      handshakeTimeout: 10000,
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) =>
      err.message.includes('Unexpected server response')
        ? undefined
        : reject(err),
    );
  });
}

/** The upgrade's outcome: 'open', or the HTTP status it was refused with. */
export async function upgradeStatus(
  gateway: GatewayProcess,
  headers: Record<string, string>,
  query = '',
): Promise<number | 'open'> {
  const outcome = await openSocket(gateway, headers, query);
  if (typeof outcome === 'number') return outcome;
  outcome.terminate();
  return 'open';
}

/**
 * A real wss:// client that records every frame, with waits that always time out, and keeps a cursor
 * per stream (from `welcome`, `joined`, `subscribed` and every message) as chat-cli does.
 */
export class ChatClient {
  readonly frames: Frame[] = [];
  readonly cursors: Cursors = {};
  closed?: { code: number; reason: string };
  /** Called with each frame as it arrives (after it is recorded). */
  onFrame?: (frame: Frame) => void;
  private ref = 0;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly username: string,
    readonly ws: WebSocket,
  ) {
    ws.on('message', (raw) => {
      const frame: Frame = JSON.parse(raw.toString());
      this.frames.push(frame);
      this.track(frame);
      this.onFrame?.(frame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(
    gateway: GatewayProcess,
    username: string,
    password = 'pw',
  ): Promise<ChatClient> {
    const { token } = await login(gateway, username, password);
    const client = await ChatClient.open(gateway, username, token);
    await client.next((f) => f.event === 'welcome');
    return client;
  }

  static open(
    gateway: Pick<GatewayProcess, 'wsUrl'>,
    username: string,
    token: string,
  ): Promise<ChatClient> {
    const ws = new WebSocket(gateway.wsUrl, PROTOCOL, {
      ca: CA,
      headers: { authorization: `Bearer ${token}` },
    });
    const client = new ChatClient(username, ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  emit(event: string, data: Record<string, unknown> = {}): string {
    const ref = `${this.username}-${++this.ref}`;
    this.ws.send(JSON.stringify({ event, data: { ...data, ref } }));
    return ref;
  }

  /** Sends a frame and resolves the direct reply (or `error`) that carries its ref. */
  async request(
    event: string,
    data: Record<string, unknown> = {},
    timeoutMs = 5000,
  ): Promise<Frame> {
    const ref = this.emit(event, data);
    return this.next(
      (f) => f.data?.ref === ref,
      timeoutMs,
      `reply to ${event} ${ref}`,
    );
  }

  /** The first frame (from the start of the log, or after `since`) that matches. */
  async next(
    match: (f: Frame) => boolean,
    timeoutMs = 5000,
    what = 'frame',
    since = 0,
  ): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(since).find(match);
      if (found) return found;
      if (this.closed)
        throw new Error(
          `${this.username}: socket closed (${JSON.stringify(this.closed)}) while waiting for ${what}`,
        );
      if (Date.now() > deadline) {
        throw new Error(
          `${this.username}: timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-8))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          resolve,
          Math.max(0, deadline - Date.now()) + 5,
        );
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  all(match: (f: Frame) => boolean): Frame[] {
    return this.frames.filter(match);
  }

  messages(): Array<Record<string, any>> {
    return this.frames.filter((f) => f.event === 'message').map((f) => f.data);
  }

  async waitClosed(
    timeoutMs = 5000,
  ): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline)
        throw new Error(
          `${this.username}: socket did not close within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close();
    await this.waitClosed(3000).catch(() => this.ws.terminate());
  }

  /** `resume` with this client's cursors (or others), moving to `room` when given. */
  resume(
    cursors: Cursors = this.cursors,
    room?: string,
    timeoutMs?: number,
  ): Promise<Frame> {
    return this.request(
      'resume',
      { cursors, ...(room && { room }) },
      timeoutMs,
    );
  }

  private track({ event, data }: Frame): void {
    if (event === 'welcome') Object.assign(this.cursors, data.cursors);
    else if (event === 'joined')
      advanceCursor(this.cursors, `room:${data.room}`, data.cursor);
    else if (event === 'subscribed' && data.cursor)
      advanceCursor(this.cursors, `said:${data.user}`, data.cursor);
    else if (event === 'message')
      advanceCursor(this.cursors, messageStream(data as never), data.id);
    else if (event === 'dm') advanceCursor(this.cursors, DM_STREAM, data.id);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }
}

/** The clients a test file connects, so that its `after` closes every one of them. */
export class ClientPool {
  private readonly clients: ChatClient[] = [];

  async connect(
    gateway: GatewayProcess,
    username: string,
  ): Promise<ChatClient> {
    const client = await ChatClient.connect(gateway, username);
    this.clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
