import { CLOSE_UNAUTHORIZED, Frame, ServerFrame, WS_PATH } from '@app/protocol';

export type SocketState = 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface SocketEvents {
  state(state: SocketState, detail: string): void;
  frame(frame: ServerFrame): void;
  /** The token was refused (expired, revoked): the user must log in again. */
  unauthorized(): void;
}

const MAX_DELAY_MS = 10_000;

/**
 * The page's WebSocket to `/ws?token=` (browsers cannot set headers on a WebSocket). It reconnects
 * with growing, jittered pauses until closed; a refused token ends it.
 */
export class ChatSocket {
  private ws?: WebSocket;
  private attempt = 0;
  private timer?: number;
  private stopped = false;

  constructor(
    private readonly token: string,
    private readonly events: SocketEvents,
    /** Asked after a connection that never opened: false when the token is no longer valid. */
    private readonly tokenValid: () => Promise<boolean>,
  ) {}

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect(): void {
    const url = new URL(WS_PATH, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', this.token);
    this.events.state(
      this.attempt === 0 ? 'connecting' : 'reconnecting',
      this.attempt === 0 ? 'connecting…' : 'reconnecting…',
    );
    const ws = new WebSocket(url);
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.events.state('online', 'connected');
    };
    ws.onmessage = (message) => this.receive(message.data);
    ws.onclose = (closed) => void this.closed(closed, opened);
    this.ws = ws;
  }

  send(frame: Frame): boolean {
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

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    try {
      this.events.frame(JSON.parse(data) as ServerFrame);
    } catch {
      // Not JSON: nothing a well-behaved server sends; ignore it.
    }
  }

  private async closed(event: CloseEvent, opened: boolean): Promise<void> {
    if (this.stopped) return;
    if (
      event.code === CLOSE_UNAUTHORIZED ||
      (!opened && !(await this.tokenValid().catch(() => true)))
    ) {
      this.stopped = true;
      this.events.state('offline', 'logged out');
      return this.events.unauthorized();
    }
    const delay =
      Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt) *
      (0.75 + Math.random() / 2);
    this.attempt++;
    const why = event.reason ? ` (${event.reason})` : '';
    this.events.state(
      'reconnecting',
      `reconnecting in ${Math.ceil(delay / 1000)} s${why}`,
    );
    this.timer = window.setTimeout(() => this.connect(), delay);
  }
}
