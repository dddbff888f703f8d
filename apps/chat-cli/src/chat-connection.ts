import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';

import { CLOSE_UNAUTHORIZED, Frame, LoginResponse, ServerEvent, ServerFrame, Welcome, WS_PATH } from '@app/protocol';

import { Backoff } from './backoff';
import { ConnectError } from './connect-error';
import { address, Endpoint, LoginClient } from './login-client';
import { TlsSettings } from './tls-trust';

export interface ConnectionSettings {
  host: string;
  ports: number[];
  username: string;
  password: string;
  tls: TlsSettings;
  backoff?: Backoff;
  welcomeTimeoutMs?: number;
  pingIntervalMs?: number;
}

export interface Established {
  endpoint: Endpoint;
  login: LoginResponse;
  welcome: Welcome;
}

export interface Dropped {
  endpoint: Endpoint;
  code: number;
  reason: string;
}

export interface Retrying {
  endpoint: Endpoint;
  attempt: number;
  attempts: number;
  delayMs: number;
  error?: ConnectError;
}

interface ConnectionEvents {
  /** Every frame after `welcome`. */
  frame: [ServerFrame];
  /** The socket closed without close() being called; reconnecting starts. */
  down: [Dropped];
  /** A reconnect attempt is about to be made after `delayMs`. */
  retry: [Retrying];
  /** Logged in again and welcomed, possibly on another port. */
  up: [Established];
  /** Reconnecting gave up (attempts used up, or a fatal error such as a refused login). */
  failed: [ConnectError];
}

/**
 * The transport: log in over HTTPS, open the WebSocket with the token, and, when the socket drops,
 * log in again with backoff and jitter, moving to the next port of the list on every attempt.
 */
export class ChatConnection extends EventEmitter<ConnectionEvents> {
  private socket?: WebSocket;
  private current?: Endpoint;
  private closing = false;
  private reconnecting = false;
  private wakeSleeper?: () => void;
  private pingTimer?: NodeJS.Timeout;
  private readonly backoff: Backoff;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly loginClient = new LoginClient(settings.tls),
  ) {
    super();
    this.backoff = settings.backoff ?? new Backoff();
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  get endpoint(): Endpoint | undefined {
    return this.current;
  }

  /** The first connection: each port once, in order. Fatal errors (certificate, login) stop at once. */
  async open(): Promise<Established> {
    const errors: ConnectError[] = [];
    for (const port of this.settings.ports) {
      try {
        return await this.establish({ host: this.settings.host, port });
      } catch (error) {
        const failure = ConnectError.from(error, address({ host: this.settings.host, port }));
        if (failure.fatal || this.closing) throw failure;
        errors.push(failure);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.every((e) => e.failure === 'refused')) {
      const all = this.settings.ports.map((port) => address({ host: this.settings.host, port })).join(', ');
      throw new ConnectError('refused', `Cannot connect to any of ${all}: connection refused (is a gateway running there?)`);
    }
    throw new ConnectError(errors[0].failure, errors.map((e) => e.message).join('; '));
  }

  /** Sends one frame; false when there is no open socket (the caller queues it). */
  send(frame: Frame): boolean {
    if (!this.connected || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wakeSleeper?.();
    this.stopPing();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close(1000, 'bye');
    const timer = setTimeout(() => socket.terminate(), 1000);
    await closed;
    clearTimeout(timer);
  }

  private async establish(endpoint: Endpoint): Promise<Established> {
    const login = await this.loginClient.login(endpoint, this.settings.username, this.settings.password);
    if (this.closing) throw new ConnectError('network', 'closed');
    const welcome = await this.openSocket(endpoint, login.token);
    return { endpoint, login, welcome };
  }

  /**
   * Takes over a welcomed socket synchronously inside its first 'message' callback, so frames that
   * arrive in the same chunk as the welcome are kept; they are released once the caller has heard of it.
   */
  private adopt(socket: WebSocket & { alive?: boolean }, endpoint: Endpoint): void {
    const held: string[] = [];
    let holding = true;
    this.socket = socket;
    this.current = endpoint;
    socket.on('message', (raw) => (holding ? held.push(raw.toString()) : this.receive(raw.toString())));
    socket.on('pong', () => (socket.alive = true));
    socket.on('error', () => undefined);
    socket.once('close', (code, reason) => this.dropped(socket, code, reason.toString()));
    this.startPing(socket);
    setImmediate(() => {
      holding = false;
      held.splice(0).forEach((text) => this.receive(text));
    });
  }

  private openSocket(endpoint: Endpoint, token: string): Promise<Welcome> {
    const where = address(endpoint);
    const timeoutMs = this.settings.welcomeTimeoutMs ?? 10_000;
    const socket = new WebSocket(`wss://${where}${WS_PATH}`, {
      ...this.settings.tls,
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: timeoutMs,
    });
    return new Promise((resolve, reject) => {
      const fail = (error: ConnectError): void => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        reject(error);
      };
      const timer = setTimeout(() => fail(new ConnectError('network', `${where} sent no welcome within ${timeoutMs / 1000} s`)), timeoutMs);
      socket.once('unexpected-response', (_req, res) =>
        fail(new ConnectError('protocol', `${where} refused the chat connection: HTTP ${res.statusCode}`)),
      );
      socket.once('error', (error) => fail(ConnectError.from(error, where)));
      socket.once('close', (code) => fail(new ConnectError('network', `${where} closed the connection (code ${code}) before its welcome`)));
      socket.once('message', (raw) => {
        const frame = this.parse(raw.toString());
        if (frame?.event !== ServerEvent.Welcome) return fail(new ConnectError('protocol', `${where} did not start with a welcome frame`));
        clearTimeout(timer);
        socket.removeAllListeners();
        if (this.closing) return fail(new ConnectError('network', 'closed'));
        this.adopt(socket, endpoint);
        resolve(frame.data);
      });
    });
  }

  private receive(text: string): void {
    const frame = this.parse(text);
    if (frame) this.emit('frame', frame);
  }

  private parse(text: string): ServerFrame | undefined {
    try {
      const frame = JSON.parse(text);
      if (typeof frame?.event === 'string' && frame.data && typeof frame.data === 'object') return frame as ServerFrame;
    } catch {
      // A malformed frame is ignored: the server never sends one.
    }
    return undefined;
  }

  private dropped(socket: WebSocket, code: number, reason: string): void {
    this.stopPing();
    if (this.socket !== socket || this.closing) return;
    this.socket = undefined;
    const endpoint = this.current ?? { host: this.settings.host, port: this.settings.ports[0] };
    this.emit('down', { endpoint, code, reason: code === CLOSE_UNAUTHORIZED ? reason || 'session expired' : reason });
    void this.reconnect(endpoint);
  }

  private async reconnect(from: Endpoint): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      const ports = this.settings.ports;
      const start = Math.max(0, ports.indexOf(from.port)) + (ports.length > 1 ? 1 : 0);
      let lastError: ConnectError | undefined;
      for (let attempt = 0; !this.closing; attempt++) {
        const delayMs = this.backoff.delay(attempt);
        if (delayMs === undefined) {
          const why = lastError ? `: ${lastError.message}` : '';
          this.emit('failed', new ConnectError(lastError?.failure ?? 'network', `Gave up reconnecting after ${attempt} attempts${why}`));
          return;
        }
        const endpoint = { host: this.settings.host, port: ports[(start + attempt) % ports.length] };
        this.emit('retry', { endpoint, attempt: attempt + 1, attempts: this.backoff.attempts, delayMs, error: lastError });
        await this.sleep(delayMs);
        if (this.closing) return;
        try {
          const established = await this.establish(endpoint);
          this.emit('up', established);
          return;
        } catch (error) {
          if (this.closing) return;
          lastError = ConnectError.from(error, address(endpoint));
          if (lastError.fatal) {
            this.emit('failed', lastError);
            return;
          }
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    });
  }

  /** A socket whose peer vanished without a FIN is only noticed by a missing pong. */
  private startPing(socket: WebSocket & { alive?: boolean }): void {
    this.stopPing();
    socket.alive = true;
    this.pingTimer = setInterval(() => {
      if (!socket.alive) return socket.terminate();
      socket.alive = false;
      socket.ping();
    }, this.settings.pingIntervalMs ?? 15_000);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}
