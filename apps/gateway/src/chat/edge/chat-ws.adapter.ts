import { INestApplicationContext, Logger } from '@nestjs/common';
import { MessageMappingProperties } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import { IncomingMessage } from 'node:http';
import { isObservable, lastValueFrom, Observable } from 'rxjs';
import { RawData, WebSocket, WebSocketServer as WsServer } from 'ws';

import { TokenClaims, UpgradeAuth } from '@app/auth';
import { ClientEvent, CLOSE_POLICY, ErrorCode, PROTOCOL } from '@app/protocol';

import { isOriginAllowed } from '../../http/origin';

import { ChatSession } from '../delivery/chat-session';
import { HandlerDispatcher } from '../handler-dispatcher';
import { clipEvent, parseFrame, ParsedFrame } from './frame-parser';
import { errorFrame, refOf } from '../delivery/frames';
import { TokenBucket } from './token-bucket';

export type ChatSocket = WebSocket & { session?: ChatSession };
export type UpgradeRequest = IncomingMessage & {
  claims?: TokenClaims;
  /** The id of the session admitted for this upgrade (its slot is taken). */
  sessionId?: string;
  /** True once the upgrade became a socket (whose close gives the slot back). */
  opened?: boolean;
  /** Stops waiting for the upgrade to fail: its socket opened (so the request is not kept alive with it). */
  keepSlot?: () => void;
};

/** An admitted connection, as the caps count it. */
export interface AdmittedRef {
  id: string;
  username: string;
  address: string;
}

export interface ChatWsOptions {
  maxFrameBytes: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  allowedOrigins: string[];
  /** Upgrades being checked at once, and started per second; beyond either, 503 with Retry-After. */
  maxPendingUpgrades: number;
  upgradesPerSecond: number;
  /** Who opens the socket (Authorization header or `?ticket=`), or why not (401, 403 for a disabled account). */
  authenticate(
    headers: IncomingMessage['headers'],
    url: string,
  ): Promise<UpgradeAuth>;
  /** Takes a slot for a new connection of this user from this address, or says why not (429). */
  admit(
    user: string,
    address: string,
  ): Promise<{ sessionId: string } | { refusal: string }>;
  /** Gives back the slot of an admitted upgrade that never became a socket. */
  release(session: AdmittedRef): Promise<void>;
  /** Counts a frame refused for the rate (metrics). */
  rateLimited(): void;
  /** The gateway's commands, built once at boot from its decorators. */
  dispatcher: HandlerDispatcher;
}

type VerifyCallback = (
  ok: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

const RETRY_IN_A_SECOND = { 'Retry-After': '1' };

/** Frames whose handlers hand off (`ChatSession.handOff`) once their first store step is issued. */
const STORE_EVENTS = new Set<string>([ClientEvent.Send, ClientEvent.Dm]);

/**
 * The stock WsAdapter, plus the edge of the contract: the upgrade checks the token and the page's Origin
 * (no socket without them), frames over the limit close with 1009 (ws's maxPayload), a frame that does
 * not parse or names no event gets an `error` frame instead of silence, each frame is judged against the
 * session's rate as it arrives (`FloodGuard`: refused before it is parsed or queued, and a socket that
 * keeps flooding is closed with 1008), and each session's frames reach their handlers strictly in order.
 * Everything else (expiry, validation, errors) is the gateway's declared pipeline (`SessionGuard`,
 * `SchemaPipe`, `ChatErrorFilter`), which `HandlerDispatcher` runs.
 */
export class ChatWsAdapter extends WsAdapter {
  private readonly log = new Logger(ChatWsAdapter.name);
  private draining = false;
  private pendingUpgrades = 0;
  private readonly upgrades: TokenBucket;

  constructor(
    app: INestApplicationContext,
    private readonly options: ChatWsOptions,
  ) {
    super(app);
    this.upgrades = new TokenBucket(
      options.upgradesPerSecond,
      options.upgradesPerSecond,
    );
  }

  create(port: number, options: Record<string, unknown> = {}): unknown {
    const server = super.create(port, {
      ...options,
      maxPayload: this.options.maxFrameBytes,
      handleProtocols: (offered: Set<string>) =>
        offered.has(PROTOCOL) ? PROTOCOL : false,
      verifyClient: (info: { req: UpgradeRequest }, done: VerifyCallback) =>
        this.verify(info.req, done),
    }) as WsServer;
    server.on('connection', (_ws: WebSocket, req: UpgradeRequest) => {
      req.opened = true;
      req.keepSlot?.();
    });
    this.keepAlive(server);
    return server;
  }

  /** Refuses new upgrades (503) from now on: the instance is shutting down. */
  drain(): void {
    this.draining = true;
  }

  /* A client's protocol errors (oversize frame, bad UTF-8) are its own business: debug, not error, so no one can flood the log. */
  bindErrorHandler(server: WsServer): WsServer {
    server.on('connection', (ws: WebSocket) =>
      ws.on('error', (err: Error) =>
        this.log.debug(`Client socket: ${err.message}`),
      ),
    );
    server.on('error', (err: Error) => this.log.error(err));
    return server;
  }

  /*
   * Nest's `handlers` are its pipeline bound to this client; they are not kept (see `HandlerDispatcher`).
   */
  bindMessageHandlers(
    client: ChatSocket,
    _handlers: MessageMappingProperties[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    let waiting = 0;
    client.on('message', (raw: RawData, isBinary: boolean) => {
      const session = client.session;
      if (!session || session.ended) return;
      const verdict = session.flood.admit(waiting);
      if (verdict !== 'pass')
        return this.refuse(session, raw, isBinary, verdict);
      const frame = parseFrame(raw, isBinary);
      waiting++;
      void session.enqueue(
        async () => {
          try {
            await this.dispatch(client, session, frame);
          } finally {
            waiting--;
          }
        },
        typeof frame !== 'string' && STORE_EVENTS.has(frame.event),
      );
    });
  }

  /*
   * A frame over the session's rate, or one more than may wait: it is dropped with RATE_LIMITED. Each
   * refusal is a strike, so at most RATE_LIMIT_STRIKES of them a minute are parsed (for their `ref`) and
   * answered; the last one closes the socket, and the frames it had queued are never handled.
   */
  private refuse(
    session: ChatSession,
    raw: RawData,
    isBinary: boolean,
    verdict: 'refuse' | 'cut',
  ): void {
    this.options.rateLimited();
    const frame = parseFrame(raw, isBinary);
    const ref = typeof frame === 'string' ? undefined : refOf(frame.data);
    const cut = verdict === 'cut';
    session.send(
      errorFrame(
        ErrorCode.RateLimited,
        cut
          ? 'Too many frames, again and again: this connection is closed'
          : 'Too many frames: slow down (wait for replies) and send this again',
        ref,
      ),
    );
    if (cut)
      session.close(
        CLOSE_POLICY,
        'Too many frames: rate limit exceeded repeatedly',
      );
  }

  private async dispatch(
    client: ChatSocket,
    session: ChatSession,
    frame: ParsedFrame | string,
  ): Promise<void> {
    const parsed = typeof frame === 'string' ? undefined : frame;
    await session.frameArrived(parsed?.event);
    const ref = refOf(parsed?.data);
    if (!parsed || parsed.problem)
      return session.send(
        errorFrame(
          ErrorCode.BadRequest,
          parsed?.problem ?? (frame as string),
          ref,
        ),
      );
    const handler = this.options.dispatcher.handler(parsed.event);
    if (!handler) {
      const known = this.options.dispatcher.patterns.join(', ');
      return session.send(
        errorFrame(
          ErrorCode.UnknownEvent,
          `Unknown event "${clipEvent(parsed.event)}": use one of ${known}`,
          ref,
        ),
      );
    }
    try {
      const reply = await this.replyOf(
        handler(client, parsed.data, parsed.event),
      );
      if (reply !== undefined && reply !== null)
        session.send(JSON.stringify(reply));
    } catch (err) {
      // ChatErrorFilter answers every handler failure; this is only reached by a failure of the filter itself.
      this.log.error(
        err instanceof Error ? (err.stack ?? err.message) : String(err),
      );
      session.send(
        errorFrame(
          ErrorCode.Internal,
          'The server could not complete this request; try again',
          ref,
        ),
      );
    }
  }

  /*
   * The handler's reply. Nest's own `transform` wraps every result in three observables; ours are promises,
   * so only an observable (none today) takes that way. It was a tenth of the gateway's CPU per `send`.
   */
  private async replyOf(result: unknown): Promise<unknown> {
    const value = await result;
    return isObservable(value)
      ? lastValueFrom(value, { defaultValue: undefined })
      : value;
  }

  /*
   * Pings every client each interval; one that has not answered the previous ping within the timeout is
   * cut off (a half-open connection), so its user leaves the rooms and others see `presence`.
   */
  private keepAlive(server: WsServer): void {
    const alive = new WeakMap<WebSocket, boolean>();
    server.on('connection', (ws: WebSocket) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
    });
    const timer = setInterval(() => {
      server.clients.forEach((ws) => {
        alive.set(ws, false);
        ws.ping();
      });
      setTimeout(
        () =>
          server.clients.forEach(
            (ws) => alive.get(ws) === false && ws.terminate(),
          ),
        this.options.pingTimeoutMs,
      ).unref();
    }, this.options.pingIntervalMs);
    timer.unref();
    server.on('close', () => clearInterval(timer));
  }

  /*
   * A reconnect storm is admitted at the pace the instance can take (MAX_PENDING_UPGRADES,
   * UPGRADES_PER_SECOND); the rest get 503 with Retry-After at once, so connected users stay served.
   */
  private verify(req: UpgradeRequest, done: VerifyCallback): void {
    if (this.draining)
      return done(
        false,
        503,
        'Server shutting down: connect to another instance',
        RETRY_IN_A_SECOND,
      );
    if (
      !isOriginAllowed(
        req.headers.origin,
        this.options.allowedOrigins,
        req.headers.host,
      )
    ) {
      return done(false, 403, 'Origin not allowed: add it to ALLOWED_ORIGINS');
    }
    if (!offersProtocol(req.headers['sec-websocket-protocol']))
      return done(
        false,
        426,
        `This server speaks chat protocol v2 (WebSocket subprotocol ${PROTOCOL}) and your client does not: update the client`,
      );
    if (
      this.pendingUpgrades >= this.options.maxPendingUpgrades ||
      !this.upgrades.take()
    )
      return done(
        false,
        503,
        'Server busy with other connections: try again in 1 s',
        RETRY_IN_A_SECOND,
      );
    this.pendingUpgrades++;
    this.admit(req)
      .finally(() => this.pendingUpgrades--)
      .then(
        ([code, message]) => done(code === 101, code, message),
        (err: Error) => {
          this.log.warn(`Token check failed: ${err.message}`);
          done(
            false,
            503,
            'Service Unavailable: the chat store is unreachable, try again shortly',
          );
        },
      );
  }

  /** The token, then the connection caps: 101 to go on, or the refusal's status and message. */
  private async admit(req: UpgradeRequest): Promise<[number, string]> {
    const auth = await this.options.authenticate(req.headers, req.url ?? '/');
    const { claims } = auth;
    if (!claims) return [auth.status ?? 401, auth.refusal];
    const address = req.socket.remoteAddress ?? 'unknown';
    const admission = await this.options.admit(claims.sub, address);
    if ('refusal' in admission) return [429, admission.refusal];
    req.claims = claims;
    req.sessionId = admission.sessionId;
    this.releaseUnlessOpened(req, {
      id: admission.sessionId,
      username: claims.sub,
      address,
    });
    return [101, 'Switching Protocols'];
  }

  /* The client may hang up between the admission and the 101 (then ws never emits `connection`). */
  private releaseUnlessOpened(req: UpgradeRequest, session: AdmittedRef): void {
    const release = (): void => {
      if (req.opened) return;
      this.options
        .release(session)
        .catch((err: Error) =>
          this.log.warn(
            `Could not give back the slot of ${session.username}'s failed upgrade: ${err.message}`,
          ),
        );
    };
    if (req.socket.destroyed) return release();
    req.socket.once('close', release);
    req.keepSlot = () => req.socket.off('close', release);
  }
}

/* Whether the upgrade offers our protocol version among its comma-separated subprotocols. */
function offersProtocol(header: string | undefined): boolean {
  return (header ?? '').split(',').some((name) => name.trim() === PROTOCOL);
}
