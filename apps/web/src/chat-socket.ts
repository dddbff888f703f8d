import {
  CLOSE_ACCOUNT_DISABLED,
  CLOSE_GOING_AWAY,
  CLOSE_SERVICE_RESTART,
  CLOSE_UNAUTHORIZED,
  DEFAULT_RESTART_WINDOW_MS,
  PROTOCOL,
  reconnectDelay,
  ServerEvent,
  ServerFrame,
  WS_PATH,
} from '@app/protocol';

import { HttpError } from './auth-api';

export type SocketState = 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface SocketEvents {
  state(state: SocketState, detail: string): void;
  frame(frame: ServerFrame): void;
  /** The token was refused (expired, revoked): the user must log in again. */
  unauthorized(): void;
  /** An admin disabled the account (close 4403): the socket has stopped for good. */
  disabled(): void;
}

/** A single-use ticket for a WebSocket to the instance at `base` (an origin such as https://host:8081). */
export type TicketSource = (base: string) => Promise<string>;

/**
 * The page's WebSocket, opened with a single-use ticket (browsers cannot set headers on a WebSocket, and
 * a token in the URL would reach logs). It reconnects until closed: a restart (`reconnect`, close 1012 or
 * 1001) is spread over its window and goes to another live instance when the page knows one; any other
 * failure backs off with full jitter, at least as long as a Retry-After.
 */
export class ChatSocket {
  private ws?: WebSocket;
  private attempt = 0;
  private timer?: number;
  private stopped = false;
  private everOpened = false;
  /** Instances to try, the current one first. */
  private bases = [location.origin];
  private restartWithinMs?: number;

  constructor(
    private readonly events: SocketEvents,
    private readonly ticket: TicketSource,
  ) {}

  /** The cluster's live instances (`welcome.instances`): where to go when this one is gone (the page's own origin stays among them). */
  setInstances(instances: string[] = []): void {
    const origins = instances.flatMap((address) => {
      try {
        const url = new URL(address);
        return url.protocol === 'https:' ? [url.origin] : [];
      } catch {
        return [];
      }
    });
    // The others in random order, so the clients of a stopped instance spread over the rest.
    const others = origins
      .map((origin) => ({ origin, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ origin }) => origin);
    this.bases = [...new Set([this.bases[0], ...others, location.origin])];
  }

  connect(): void {
    void this.dial();
  }

  send(frame: object): boolean {
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'Logged out');
    this.events.state('offline', 'not connected');
  }

  private async dial(): Promise<void> {
    const base = this.bases[0];
    this.events.state(
      this.everOpened ? 'reconnecting' : 'connecting',
      this.everOpened ? 'reconnecting…' : 'connecting…',
    );
    let ticket: string;
    try {
      ticket = await this.ticket(base);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) return this.refused();
      return this.retry({ retryAfterMs: (err as HttpError).retryAfterMs });
    }
    if (this.stopped) return;
    const url = new URL(WS_PATH, base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('ticket', ticket);
    const ws = new WebSocket(url, PROTOCOL);
    ws.onopen = () => {
      this.everOpened = true;
      this.attempt = 0;
      this.events.state('online', 'connected');
    };
    ws.onmessage = (message) => this.receive(message.data);
    ws.onclose = (closed) => this.closed(closed);
    this.ws = ws;
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return; // Not JSON: nothing a well-behaved server sends.
    }
    if (frame.event === ServerEvent.Reconnect)
      this.restartWithinMs = Math.max(0, Number(frame.data.withinMs) || 0);
    this.events.frame(frame);
  }

  private closed(event: CloseEvent): void {
    if (this.stopped) return;
    if (event.code === CLOSE_UNAUTHORIZED) return this.refused();
    if (event.code === CLOSE_ACCOUNT_DISABLED) {
      this.stopped = true;
      this.events.state('offline', 'account disabled');
      return this.events.disabled();
    }
    const restart =
      this.restartWithinMs ??
      (event.code === CLOSE_SERVICE_RESTART || event.code === CLOSE_GOING_AWAY
        ? DEFAULT_RESTART_WINDOW_MS
        : undefined);
    this.restartWithinMs = undefined;
    this.retry({ restartWithinMs: restart });
  }

  private retry(cause: {
    restartWithinMs?: number;
    retryAfterMs?: number;
  }): void {
    if (this.stopped) return;
    // A first drop may be a blip of this instance; a restart, or a second failure, means trying the next one.
    if (cause.restartWithinMs !== undefined || this.attempt > 0)
      this.bases.push(this.bases.shift()!);
    const delay = reconnectDelay({ attempt: this.attempt, ...cause });
    this.attempt++;
    this.events.state(
      'reconnecting',
      `reconnecting in ${Math.max(1, Math.ceil(delay / 1000))} s`,
    );
    this.timer = window.setTimeout(() => void this.dial(), delay);
  }

  private refused(): void {
    this.stopped = true;
    this.events.state('offline', 'logged out');
    this.events.unauthorized();
  }
}
