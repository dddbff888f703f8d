import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';

import {
  CLOSE_ACCOUNT_DISABLED,
  CLOSE_GOING_AWAY,
  CLOSE_SERVICE_RESTART,
  CLOSE_UNAUTHORIZED,
  DEFAULT_RESTART_WINDOW_MS,
  Frame,
  LoginResponse,
  MAX_RESTART_WINDOW_MS,
  ServerEvent,
  ServerFrame,
  Welcome,
  PROTOCOL,
  WS_PATH,
} from '@app/protocol';

import { address, AuthClient, Endpoint } from './auth-client';
import { Backoff } from './backoff';
import { ConnectError } from './connect-error';
import { InstanceList } from './instance-list';
import { Retrying, RetryLoop } from './retry-loop';
import { TlsSettings } from './tls-trust';
import { TokenKeeper } from './token-keeper';

export interface ConnectionSettings {
  host: string;
  ports: number[];
  username: string;
  password: string;
  tls: TlsSettings;
  backoff?: Backoff;
  welcomeTimeoutMs?: number;
  pingIntervalMs?: number;
  /** The share of a token's life after which it is refreshed (default 0.8). */
  refreshShare?: number;
  /** Picks the order of the advertised instances to fail over to (default Math.random). */
  random?: () => number;
}

export interface Established {
  endpoint: Endpoint;
  welcome: Welcome;
  /** The login reply when this connection logged in with the password; absent when the kept token served. */
  login?: LoginResponse;
}

export interface Dropped {
  endpoint: Endpoint;
  code: number;
  reason: string;
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
 * reconnect with backoff and full jitter (or within the window of a server restart), moving on every
 * attempt to the next of the ports typed and the live instances the last `welcome` advertised.
 * Reconnects present the kept token (refreshed first when it is due); the password is sent again
 * only after the token is refused (401) or has expired.
 */
export class ChatConnection extends EventEmitter<ConnectionEvents> {
  private socket?: WebSocket;
  /** The token the open socket was admitted with. */
  private socketToken?: string;
  private current?: Endpoint;
  private closing = false;
  private reconnecting = false;
  private wakeSleeper?: () => void;
  private pingTimer?: NodeJS.Timeout;
  private readonly backoff: Backoff;
  private readonly tokens: TokenKeeper;
  private readonly instances: InstanceList;
  /** The open socket's server said it is restarting (`reconnect`): the window to spread the reconnect over. */
  private restartWindowMs?: number;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly auth = new AuthClient(settings.tls),
  ) {
    super();
    this.backoff = settings.backoff ?? new Backoff();
    this.tokens = new TokenKeeper(
      (token) => this.auth.refresh(this.current ?? this.firstEndpoint(), token),
      settings.refreshShare,
    );
    this.instances = new InstanceList(
      settings.ports.map((port) => ({ host: settings.host, port })),
      settings.random,
    );
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
        const failure = ConnectError.from(
          error,
          address({ host: this.settings.host, port }),
        );
        if (failure.fatal || this.closing) throw failure;
        errors.push(failure);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.every((e) => e.failure === 'refused')) {
      const all = this.settings.ports
        .map((port) => address({ host: this.settings.host, port }))
        .join(', ');
      throw new ConnectError(
        'refused',
        `Cannot connect to any of ${all}: connection refused (is a gateway running there?)`,
      );
    }
    throw new ConnectError(
      errors[0].failure,
      errors.map((e) => e.message).join('; '),
    );
  }

  /** Sends one frame; false when there is no open socket (the caller queues it). */
  send(frame: Frame): boolean {
    if (!this.connected || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.tokens.stop();
    this.wakeSleeper?.();
    this.stopPing();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => resolve()),
    );
    socket.close(1000, 'bye');
    const timer = setTimeout(() => socket.terminate(), 1000);
    await closed;
    clearTimeout(timer);
  }

  private async establish(endpoint: Endpoint): Promise<Established> {
    const kept = await this.tokens.usable((token) =>
      this.auth.refresh(endpoint, token),
    );
    if (kept) {
      try {
        return { endpoint, welcome: await this.openSocket(endpoint, kept) };
      } catch (error) {
        if (!(error instanceof ConnectError && error.failure === 'token'))
          throw error;
        this.tokens.forget(kept);
      }
    }
    const login = await this.auth.login(
      endpoint,
      this.settings.username,
      this.settings.password,
    );
    if (this.closing) throw new ConnectError('network', 'closed');
    this.tokens.keep(login.token);
    return {
      endpoint,
      login,
      welcome: await this.openSocket(endpoint, login.token),
    };
  }

  private firstEndpoint(): Endpoint {
    return { host: this.settings.host, port: this.settings.ports[0] };
  }

  /**
   * Takes over a welcomed socket synchronously inside its first 'message' callback, so frames that
   * arrive in the same chunk as the welcome are kept; they are released once the caller has heard of it.
   */
  private adopt(
    socket: WebSocket & { alive?: boolean },
    endpoint: Endpoint,
    token: string,
  ): void {
    const held: string[] = [];
    let holding = true;
    this.socket = socket;
    this.socketToken = token;
    this.current = endpoint;
    this.restartWindowMs = undefined;
    socket.on('message', (raw) =>
      holding ? held.push(raw.toString()) : this.receive(raw.toString()),
    );
    socket.on('pong', () => (socket.alive = true));
    socket.on('error', () => undefined);
    socket.once('close', (code, reason) =>
      this.dropped(socket, code, reason.toString()),
    );
    this.startPing(socket);
    setImmediate(() => {
      holding = false;
      held.splice(0).forEach((text) => this.receive(text));
    });
  }

  private openSocket(endpoint: Endpoint, token: string): Promise<Welcome> {
    const where = address(endpoint);
    const timeoutMs = this.settings.welcomeTimeoutMs ?? 10_000;
    const socket = new WebSocket(`wss://${where}${WS_PATH}`, PROTOCOL, {
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
      const timer = setTimeout(
        () =>
          fail(
            new ConnectError(
              'network',
              `${where} sent no welcome within ${timeoutMs / 1000} s`,
            ),
          ),
        timeoutMs,
      );
      socket.once('unexpected-response', (_req, res) =>
        fail(
          res.statusCode === 401
            ? new ConnectError(
                'token',
                `${where} refused the login token: HTTP 401`,
              )
            : res.statusCode === 403
              ? // chat-cli sends no Origin, so the one 403 it can get is for a disabled account.
                ConnectError.disabled(where, 'HTTP 403')
              : new ConnectError(
                  'protocol',
                  res.statusCode === 426
                    ? `${where} speaks a chat protocol this chat-cli does not (HTTP 426): update chat-cli`
                    : `${where} refused the chat connection: HTTP ${res.statusCode}`,
                  ConnectError.retryAfter(res.headers['retry-after']),
                ),
        ),
      );
      socket.once('error', (error) => fail(ConnectError.from(error, where)));
      socket.once('close', (code) =>
        fail(
          code === CLOSE_ACCOUNT_DISABLED
            ? ConnectError.disabled(where)
            : new ConnectError(
                'network',
                `${where} closed the connection (code ${code}) before its welcome`,
              ),
        ),
      );
      socket.once('message', (raw) => {
        const frame = this.parse(raw.toString());
        if (frame?.event !== ServerEvent.Welcome)
          return fail(
            new ConnectError(
              'protocol',
              `${where} did not start with a welcome frame`,
            ),
          );
        clearTimeout(timer);
        socket.removeAllListeners();
        if (this.closing) return fail(new ConnectError('network', 'closed'));
        this.adopt(socket, endpoint, token);
        this.instances.learn(frame.data.instances);
        resolve(frame.data);
      });
    });
  }

  private receive(text: string): void {
    const frame = this.parse(text);
    if (frame?.event === ServerEvent.Reconnect) {
      const { withinMs } = frame.data;
      this.restartWindowMs =
        Number.isFinite(withinMs) && withinMs >= 0
          ? Math.min(withinMs, MAX_RESTART_WINDOW_MS)
          : DEFAULT_RESTART_WINDOW_MS;
      return;
    }
    if (frame) this.emit('frame', frame);
  }

  private parse(text: string): ServerFrame | undefined {
    try {
      const frame = JSON.parse(text);
      if (
        typeof frame?.event === 'string' &&
        frame.data &&
        typeof frame.data === 'object'
      )
        return frame as ServerFrame;
    } catch {
      // A malformed frame is ignored: the server never sends one.
    }
    return undefined;
  }

  private dropped(socket: WebSocket, code: number, reason: string): void {
    this.stopPing();
    if (this.socket !== socket || this.closing) return;
    this.socket = undefined;
    if (code === CLOSE_UNAUTHORIZED && this.socketToken)
      this.tokens.forget(this.socketToken);
    const endpoint = this.current ?? this.firstEndpoint();
    // A disabled account is refused everywhere: reconnecting would only be refused again.
    if (code === CLOSE_ACCOUNT_DISABLED)
      return void this.emit('failed', ConnectError.disabled(address(endpoint)));
    const restarting =
      code === CLOSE_SERVICE_RESTART || code === CLOSE_GOING_AWAY;
    const windowMs =
      this.restartWindowMs ??
      (restarting ? DEFAULT_RESTART_WINDOW_MS : undefined);
    this.emit('down', {
      endpoint,
      code,
      reason:
        code === CLOSE_UNAUTHORIZED ? reason || 'session expired' : reason,
    });
    void this.reconnect(endpoint, windowMs);
  }

  private async reconnect(from: Endpoint, windowMs?: number): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const targets = this.instances.after(from);
    try {
      const established = await new RetryLoop({
        backoff: this.backoff,
        restartWindowMs: windowMs,
        target: (attempt) => targets[attempt % targets.length],
        connect: (endpoint) => this.establish(endpoint),
        sleep: (ms) => this.sleep(ms),
        onRetry: (retrying) => this.emit('retry', retrying),
        cancelled: () => this.closing,
      }).run();
      if (established) this.emit('up', established);
    } catch (error) {
      this.emit('failed', ConnectError.from(error, address(from)));
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
