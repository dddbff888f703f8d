import { ConnectionOptions, createSecureContext } from 'node:tls';
import { ClientOptions, WebSocket } from 'ws';

import {
  advanceCursor,
  Cursors,
  DEFAULT_RESTART_WINDOW_MS,
  DM_STREAM,
  PROTOCOL,
  reconnectDelay,
} from '@app/protocol';

import { CA } from '../support/gateway-process';

const RETRY_CODES = new Set(['TIMEOUT', 'INTERNAL', 'RATE_LIMITED']);
/* One context for every socket: `ca:` builds one per connection, which costs a reconnect storm's clients more than their handshakes. */
const secureContext = createSecureContext({ ca: CA });

interface Pending {
  event: 'send' | 'dm';
  data: { text: string; cid: string; to?: string };
}

export interface Acked {
  /** The message's id in its room; for a DM its cid (each inbox copy has its own inbox's id). */
  id: string;
  kind: 'room' | 'dm';
  /** The room, or the DM's recipient. */
  stream: string;
}

export interface StormClientEvents {
  /** A message or DM from the client named `sender` reached this client `latencyMs` after it was first sent. */
  delivered(latencyMs: number, client: StormClient, sender: string): void;
  /** The client is back (welcome, then joined or resumed). */
  ready(client: StormClient): void;
  refused(status: number): void;
}

/**
 * A client that reconnects like chat-cli: bearer token header (never the password), `resume` with a cursor
 * per stream (its room, its DMs), `cid` on every send and a retry with the same cid on TIMEOUT or a lost connection, a random
 * delay within the `reconnect` window after 1012, and full-jitter backoff (at least `Retry-After`) otherwise.
 */
export class StormClient {
  instance = '';
  ready = false;
  /** When the socket last went down (undefined while up), and each outage's length until ready again. */
  downAt?: number;
  readonly outages: number[] = [];
  readonly roomIds: string[] = [];
  readonly dmIds: string[] = [];
  /** The cids of the DMs received, in the order of `dmIds`. */
  readonly dmCids: string[] = [];
  readonly acked: Acked[] = [];
  errors = 0;
  /** Resumes refused because they reached the gateway after RESUME_WAIT_MS (a slow client): the gap is not replayed. */
  lateResumes = 0;
  private readonly cursors: Cursors = {};
  private joined = false;
  private ws?: WebSocket;
  private attempts = 0;
  private withinMs?: number;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private count = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly name: string,
    readonly username: string,
    readonly room: string,
    private readonly url: string,
    private readonly token: string,
    private readonly events: StormClientEvents,
  ) {}

  get unacked(): number {
    return this.pending.size;
  }

  connect(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const options: ClientOptions & ConnectionOptions = {
      secureContext,
      headers: { authorization: `Bearer ${this.token}` },
      handshakeTimeout: 10000,
    };
    const ws = new WebSocket(this.url, PROTOCOL, options);
    this.ws = ws;
    let retryAfterMs = 0;
    ws.on('unexpected-response', (_req, res) => {
      this.events.refused(res.statusCode ?? 0);
      retryAfterMs = Number(res.headers['retry-after'] ?? 0) * 1000;
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('message', (raw) => this.handle(JSON.parse(raw.toString())));
    ws.on('close', (code) => {
      this.ws = undefined;
      this.ready = false;
      this.downAt ??= Date.now();
      if (this.stopped) return;
      const restart = code === 1012 || code === 1001;
      const delay = reconnectDelay({
        attempt: restart ? 0 : this.attempts++,
        restartWithinMs: restart
          ? (this.withinMs ?? DEFAULT_RESTART_WINDOW_MS)
          : undefined,
        retryAfterMs,
      });
      this.withinMs = undefined;
      this.timer = setTimeout(() => this.open(), delay);
    });
  }

  /** A room message (or a DM to `to`) with a fresh cid; resent with the same cid until it is acknowledged. */
  say(to?: string): void {
    const cid = `${this.name}.${++this.count}`;
    const text = `${cid} ${Date.now()}`;
    const item: Pending = to
      ? { event: 'dm', data: { text, cid, to } }
      : { event: 'send', data: { text, cid } };
    this.pending.set(cid, item);
    this.transmit(item);
  }

  /** Churn: closes the socket as a user quitting would (1000); it reconnects and resumes after a backoff. */
  drop(): void {
    this.ws?.close(1000, 'bye');
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }

  private transmit(item: Pending): void {
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(
      JSON.stringify({
        event: item.event,
        data: { ...item.data, ref: item.data.cid },
      }),
    );
  }

  private handle(frame: { event: string; data: Record<string, any> }): void {
    const { event, data } = frame;
    if (event === 'welcome') {
      this.instance = data.instance;
      for (const [stream, id] of Object.entries(data.cursors as Cursors))
        this.cursors[stream] ??= id;
      this.ws?.send(
        JSON.stringify(
          this.joined
            ? {
                event: 'resume',
                data: { cursors: this.cursors, room: this.room, ref: 'r' },
              }
            : { event: 'join', data: { room: this.room, ref: 'r' } },
        ),
      );
    } else if (event === 'joined' && data.ref === 'r') {
      advanceCursor(this.cursors, `room:${data.room}`, data.cursor);
      this.handle({ event: 'resumed', data });
    } else if (
      (event === 'resumed' || event === 'joined') &&
      data.ref === 'r'
    ) {
      this.joined = true;
      this.attempts = 0;
      this.ready = true;
      if (this.downAt !== undefined)
        this.outages.push(Date.now() - this.downAt);
      this.downAt = undefined;
      this.events.ready(this);
      this.pending.forEach((item) => this.transmit(item));
    } else if (event === 'message' || event === 'dm') {
      this.received(event, data);
    } else if (event === 'sent') {
      const item = this.pending.get(data.cid);
      if (!item) return;
      this.pending.delete(data.cid);
      this.acked.push({
        id: item.event === 'dm' ? data.cid : data.id,
        kind: item.event === 'dm' ? 'dm' : 'room',
        stream: item.data.to ?? data.room,
      });
    } else if (event === 'reconnect') {
      this.withinMs = data.withinMs;
    } else if (event === 'error') {
      this.errors++;
      if (data.ref === 'r') {
        this.lateResumes++;
        return void this.ws?.close();
      }
      const item = this.pending.get(data.ref);
      if (item && RETRY_CODES.has(data.code))
        setTimeout(() => this.transmit(item), 250 + Math.random() * 500);
    }
  }

  private received(event: string, data: Record<string, any>): void {
    const stream =
      event === 'dm'
        ? DM_STREAM
        : data.via
          ? `said:${data.from}`
          : `room:${data.room}`;
    advanceCursor(this.cursors, stream, data.id);
    if (event === 'message' && (data.room !== this.room || data.via)) return;
    if (event === 'dm' && data.to !== this.username) return;
    (event === 'dm' ? this.dmIds : this.roomIds).push(data.id);
    if (event === 'dm') this.dmCids.push(String(data.text).split(' ')[0]);
    const [cid, sentAt] = String(data.text).split(' ');
    if (Number.isFinite(Number(sentAt)))
      this.events.delivered(
        Date.now() - Number(sentAt),
        this,
        cid.slice(0, cid.lastIndexOf('.')),
      );
  }
}
