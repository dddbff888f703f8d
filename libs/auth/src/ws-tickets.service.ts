import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';

import { REDIS, RedisClient } from '@app/redis';

import { AuthKeys } from './auth-keys';
import { isTokenClaims, TokenClaims } from './token-claims';

export interface WsTicket {
  ticket: string;
  expiresInMs: number;
}

const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Single-use, short-lived tickets for `wss://…/ws?ticket=`: a browser cannot put a header on a
 * WebSocket, and a URL ends up in proxy logs and consoles, so it carries this instead of the token.
 */
@Injectable()
export class WsTickets {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: ConfigService,
  ) {}

  /** A new ticket standing for the token with these claims; it never outlives the token. */
  async issue(claims: TokenClaims): Promise<WsTicket> {
    const ticket = randomBytes(32).toString('base64url');
    const expiresInMs = Math.min(
      this.config.getOrThrow<number>('WS_TICKET_TTL_MS'),
      Math.max(1, Math.floor(claims.exp * 1000 - Date.now())),
    );
    await this.redis.set(
      AuthKeys.ticket(ticket),
      JSON.stringify(claims),
      'PX',
      expiresInMs,
    );
    return { ticket, expiresInMs };
  }

  /** The claims the ticket stands for, or null when it is unknown, used or expired; it is gone afterwards. */
  async redeem(ticket: string): Promise<TokenClaims | null> {
    if (!TICKET_SHAPE.test(ticket)) return null;
    const stored = await this.redis.getdel(AuthKeys.ticket(ticket));
    if (stored === null) return null;
    try {
      const claims: unknown = JSON.parse(stored);
      return isTokenClaims(claims) ? claims : null;
    } catch {
      return null;
    }
  }
}
