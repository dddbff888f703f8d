import { INestApplicationContext, Logger } from '@nestjs/common';
import { MessageMappingProperties } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import { IncomingMessage } from 'node:http';
import { Observable, lastValueFrom } from 'rxjs';
import { RawData, WebSocket, WebSocketServer as WsServer } from 'ws';

import { TokenClaims } from '@app/auth';
import { CLOSE_UNAUTHORIZED, ErrorCode, Ref } from '@app/protocol';

import { MetricsService } from '../metrics/metrics.service';

import { ChatSession } from './chat-session';
import { errorFrame, isPlainObject } from './frames';
import { isRef } from './dto/ref.dto';
import { TokenBucket } from './token-bucket';

export type ChatSocket = WebSocket & { session?: ChatSession };
export type UpgradeRequest = IncomingMessage & { claims?: TokenClaims };

export interface ChatWsOptions {
  maxFrameBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  metrics: MetricsService;
  verifyToken(token: string | undefined): Promise<TokenClaims | null>;
}

type VerifyCallback = (ok: boolean, code?: number, message?: string) => void;

interface ParsedFrame {
  event: string;
  data?: Record<string, unknown>;
}

const refOf = (frame: ParsedFrame | string): Ref | undefined =>
  typeof frame !== 'string' && isRef(frame.data?.ref) ? frame.data.ref : undefined;

const clip = (text: string, max = 64): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The stock WsAdapter, plus what the contract needs: tokens are checked during the upgrade (401, no
 * socket), frames over the limit close with 1009 (ws's maxPayload), bad JSON and unknown events get an
 * `error` frame instead of silence, and each session's frames are handled strictly in order.
 */
export class ChatWsAdapter extends WsAdapter {
  private readonly log = new Logger(ChatWsAdapter.name);

  constructor(
    app: INestApplicationContext,
    private readonly options: ChatWsOptions,
  ) {
    super(app);
  }

  create(port: number, options: Record<string, unknown> = {}): unknown {
    return super.create(port, {
      ...options,
      maxPayload: this.options.maxFrameBytes,
      verifyClient: (info: { req: UpgradeRequest }, done: VerifyCallback) => this.verify(info.req, done),
    });
  }

  /* A client's protocol errors (oversize frame, bad UTF-8) are its own business: debug, not error, so no one can flood the log. */
  bindErrorHandler(server: WsServer): WsServer {
    server.on('connection', (ws: WebSocket) => ws.on('error', (err: Error) => this.log.debug(`Client socket: ${err.message}`)));
    server.on('error', (err: Error) => this.log.error(err));
    return server;
  }

  bindMessageHandlers(
    client: ChatSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const byEvent = new Map(handlers.map((handler) => [String(handler.message), handler]));
    const limiter = new TokenBucket(this.options.ratePerSecond, this.options.rateBurst);
    client.on('message', (raw: RawData, isBinary: boolean) => {
      const session = client.session;
      if (!session) return;
      const frame = this.parse(raw, isBinary);
      if (!limiter.take()) {
        this.options.metrics.rateLimited();
        session.send(errorFrame(ErrorCode.RateLimited, 'Too many frames: slow down and send this again', refOf(frame)));
        return;
      }
      void session.enqueue(() => this.dispatch(session, frame, byEvent, transform));
    });
  }

  private async dispatch(
    session: ChatSession,
    parsed: ParsedFrame | string,
    byEvent: Map<string, MessageMappingProperties>,
    transform: (data: unknown) => Observable<unknown>,
  ): Promise<void> {
    const ref = refOf(parsed);
    if (Date.now() >= session.expiresAt) {
      session.send(errorFrame(ErrorCode.Unauthorized, 'Your login has expired: log in again', ref));
      session.close(CLOSE_UNAUTHORIZED, 'Token expired');
      return;
    }
    if (typeof parsed === 'string') {
      session.send(errorFrame(ErrorCode.BadRequest, parsed, ref));
      return;
    }
    const handler = byEvent.get(parsed.event);
    if (!handler) {
      const known = [...byEvent.keys()].sort().join(', ');
      session.send(errorFrame(ErrorCode.UnknownEvent, `Unknown event "${clip(parsed.event)}": use one of ${known}`, ref));
      return;
    }
    try {
      const reply = await lastValueFrom(transform(handler.callback(parsed.data ?? {}, parsed.event)), { defaultValue: undefined });
      if (reply !== undefined && reply !== null) session.send(JSON.stringify(reply));
    } catch (err) {
      this.log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      session.send(errorFrame(ErrorCode.Internal, 'The server could not complete this request; try again', ref));
    }
  }

  /** The frame's event and data, or what is wrong with it. */
  private parse(raw: RawData, isBinary: boolean): ParsedFrame | string {
    if (isBinary) return 'Frames must be JSON text, not binary';
    let frame: unknown;
    try {
      frame = JSON.parse(raw.toString());
    } catch (err) {
      return `Invalid JSON: ${(err as Error).message}`;
    }
    if (!isPlainObject(frame)) return 'A frame must be a JSON object: {"event": string, "data": object}';
    if (typeof frame.event !== 'string') return 'The frame has no "event" string: {"event": string, "data": object}';
    if (frame.data !== undefined && !isPlainObject(frame.data)) return `"data" of "${clip(frame.event)}" must be a JSON object`;
    return { event: frame.event, data: frame.data as Record<string, unknown> | undefined };
  }

  private verify(req: UpgradeRequest, done: VerifyCallback): void {
    this.options.verifyToken(tokenOf(req)).then(
      (claims) => {
        if (!claims) return done(false, 401, 'Unauthorized');
        req.claims = claims;
        done(true);
      },
      (err: Error) => {
        this.log.error(`Token check failed: ${err.message}`);
        done(false, 503, 'Service Unavailable');
      },
    );
  }
}

/** `Authorization: Bearer <token>`, or `?token=` for browsers, which cannot set headers on a WebSocket. */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return new URL(req.url ?? '/', 'https://localhost').searchParams.get('token') ?? undefined;
}
