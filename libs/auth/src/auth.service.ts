import {
  ConflictException,
  ForbiddenException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { LoginResponse } from '@app/protocol';
import { RedisEpoch } from '@app/redis';

import { Account } from './account';
import { AUTH_INSTANCE } from './auth.constants';
import { upgradeCredential } from './bearer-token';
import {
  LoginThrottle,
  Reservation,
  ThrottleScope,
} from './login-throttle.service';
import { PasswordHasher } from './password-hasher.service';
import { RetryLaterException } from './retry-later.exception';
import { isTokenClaims, TokenClaims } from './token-claims';
import { TokenRevocations } from './token-revocations.service';
import { UsersService } from './users.service';
import { WsTicket, WsTickets } from './ws-tickets.service';

export const WRONG_CREDENTIALS = 'Wrong username or password';

export type TokenResponse = Omit<LoginResponse, 'created'>;

/** A WebSocket upgrade's outcome: whose it is, or why it is refused (401, or 403 for a disabled account). */
export type UpgradeAuth =
  | { claims: TokenClaims; refusal?: undefined; status?: undefined }
  | { claims?: undefined; refusal: string; status?: 403 };

/** Why a disabled account's upgrade is refused, and its sessions closed. */
export const ACCOUNT_DISABLED =
  'This account is disabled by an administrator: do not reconnect';

const URL_TOKEN_REFUSED =
  'Unauthorized: a token in the URL is not accepted (URLs end up in logs): connect with a single-use ticket from POST /auth/ticket (/ws?ticket=...) or send Authorization: Bearer <token>';
const TICKET_REFUSED =
  'Unauthorized: this ticket is unknown, used or expired: get a new one from POST /auth/ticket';
const TOKEN_REFUSED = 'Unauthorized: log in again';

interface Checked {
  account: Account;
  created: boolean;
}

/** Logins, registrations, tokens and logouts; every outcome is one audit line (never a password or token). */
@Injectable()
export class AuthService {
  private readonly audit = new Logger('Audit');

  constructor(
    private readonly config: ConfigService,
    private readonly hasher: PasswordHasher,
    @Inject(AUTH_INSTANCE) private readonly instance: string,
    private readonly jwt: JwtService,
    private readonly revocations: TokenRevocations,
    private readonly throttle: LoginThrottle,
    private readonly tickets: WsTickets,
    private readonly users: UsersService,
    @Optional() private readonly epoch?: RedisEpoch,
  ) {}

  /** Logs the user in; with REGISTRATION=open, an unused name is registered with this password. */
  async login(
    username: string,
    password: string,
    address: string,
  ): Promise<LoginResponse> {
    const reservation = await this.throttle.reserveLogin(username, address);
    if (!reservation.granted) throw this.refused(username, reservation);
    const { account, created } = await this.check(
      username,
      password,
      address,
    ).catch(async (err: unknown) => {
      if (err instanceof UnauthorizedException)
        this.recordFailure(username, address, reservation);
      else await this.throttle.releaseLogin(reservation).catch(() => undefined);
      throw err;
    });
    await Promise.all([
      this.throttle.releaseLogin(reservation),
      this.throttle.rememberAddress(account.name, address),
    ]);
    this.log('login ok', account.name, address);
    return {
      token: await this.sign(account.name),
      username: account.name,
      created,
    };
  }

  /** Creates an account for an administrator (POST /admin/users): 409 when the name, in any case, is taken. */
  async register(
    username: string,
    password: string,
    address: string,
  ): Promise<string> {
    const account = await this.users.register(username, password);
    if (!account)
      throw new ConflictException(
        `User "${username}" exists already: choose another name`,
      );
    this.log('registration (admin)', account.name, address);
    return account.name;
  }

  /** The token's claims, or null when it is missing, forged, expired, logged out or its user is gone. */
  async verify(token: string | undefined): Promise<TokenClaims | null> {
    return this.unrevoked(await this.decode(token));
  }

  /** A single-use ticket for one WebSocket upgrade, standing for the token with these claims. */
  issueTicket(claims: TokenClaims): Promise<WsTicket> {
    return this.tickets.issue(claims);
  }

  /** The upgrade's user, from the Authorization header or a ticket (used up here); never from a token in the URL. */
  async authenticateUpgrade(
    headers: IncomingHttpHeaders,
    url: string,
  ): Promise<UpgradeAuth> {
    const credential = upgradeCredential(headers, url);
    switch (credential.kind) {
      case 'url-token':
        return { refusal: URL_TOKEN_REFUSED };
      case 'ticket':
        return this.upgradeOf(
          await this.redeemTicket(credential.ticket),
          TICKET_REFUSED,
        );
      case 'token':
        return this.upgradeOf(
          await this.decode(credential.token),
          TOKEN_REFUSED,
        );
      case 'none':
        return { refusal: TOKEN_REFUSED };
    }
  }

  /** A fresh token for the same user; the old one stays valid until it expires or is logged out. */
  async refresh(claims: TokenClaims): Promise<TokenResponse> {
    if (await this.users.isDisabled(claims.sub))
      throw new ForbiddenException(disabledMessage(claims.sub));
    return { token: await this.sign(claims.sub), username: claims.sub };
  }

  /** Revokes this token, or with `all` every token of its user issued until now. */
  async logout(
    claims: TokenClaims,
    all: boolean,
    address: string,
  ): Promise<void> {
    await (all
      ? this.revocations.revokeAllBefore(claims)
      : this.revocations.revoke(claims));
    this.log(all ? 'logout (all tokens)' : 'logout', claims.sub, address);
  }

  private async check(
    username: string,
    password: string,
    address: string,
  ): Promise<Checked> {
    const account = await this.users.find(username);
    if (!account) {
      if (this.config.getOrThrow<string>('REGISTRATION') === 'open')
        return this.registerOnLogin(username, password, address);
      await this.hasher.verifyNobody(password);
      throw new UnauthorizedException(WRONG_CREDENTIALS);
    }
    if (!(await this.hasher.verify(account.hash, password)))
      throw new UnauthorizedException(WRONG_CREDENTIALS);
    if (account.disabled)
      throw new ForbiddenException(disabledMessage(account.name));
    return { account: await this.upgrade(account, password), created: false };
  }

  private async registerOnLogin(
    username: string,
    password: string,
    address: string,
  ): Promise<Checked> {
    const { wait, scope } = await this.throttle.reserveRegistration(address);
    if (wait > 0) {
      this.audit.debug(
        `registration refused (${scope}) address=${address} instance=${this.instance}`,
      );
      const subject =
        scope === 'cluster'
          ? 'on this server in the last hour (REGISTRATIONS_PER_HOUR)'
          : 'from your address';
      throw new RetryLaterException(
        `Too many new accounts ${subject}: try again in ${wait} s`,
        HttpStatus.TOO_MANY_REQUESTS,
        wait,
      );
    }
    const account = await this.users.register(username, password);
    if (!account) return this.check(username, password, address);
    this.log('registration', account.name, address);
    return { account, created: true };
  }

  /* Old accounts move to their lower-case key, and hashes made with other parameters are redone, while the password is at hand. */
  private async upgrade(stored: Account, password: string): Promise<Account> {
    const account = await this.users.adopt(stored);
    if (!this.hasher.needsRehash(account.hash)) return account;
    try {
      await this.users.updateHash(account, await this.hasher.hash(password));
    } catch (err) {
      this.audit.warn(
        `rehash failed user=${account.name} instance=${this.instance}: ${(err as Error).message}`,
      );
    }
    return account;
  }

  private recordFailure(
    username: string,
    address: string,
    reservation: Reservation & { granted: true },
  ): void {
    this.log('login failed', username, address);
    const window = this.config.getOrThrow<number>(
      'LOGIN_FAILURE_WINDOW_SECONDS',
    );
    const whom: Record<ThrottleScope, string> = {
      name: `user=${username} address=${address}`,
      address: `address=${address} (any user)`,
      account: `user=${username} (addresses it never logged in from)`,
    };
    for (const scope of reservation.exhausted) {
      const who = whom[scope];
      this.audit.log(
        `lockout ${who} instance=${this.instance} for up to ${window} s`,
      );
    }
  }

  private refused(
    username: string,
    reservation: Reservation & { granted: false },
  ): RetryLaterException {
    const { retryAfter, scope } = reservation;
    const subject: Record<ThrottleScope, string> = {
      name: `for "${username}"`,
      address: 'from your address',
      account: `for "${username}" from many addresses`,
    };
    const hint =
      scope === 'account'
        ? ', or from an address this account logged in from before'
        : '';
    return new RetryLaterException(
      `Too many failed logins ${subject[scope]}: try again in ${retryAfter} s${hint}`,
      HttpStatus.TOO_MANY_REQUESTS,
      retryAfter,
    );
  }

  /* The token behind a ticket may have expired or belong to a lost data set since the ticket was issued (`upgradeOf` checks logouts). */
  private async redeemTicket(ticket: string): Promise<TokenClaims | null> {
    const claims = await this.tickets.redeem(ticket);
    if (!claims || claims.exp * 1000 <= Date.now() || !this.inEpoch(claims))
      return null;
    return claims;
  }

  /* Logouts and a disabled account, from one read of the account (an upgrade's only one before its session opens). */
  private async upgradeOf(
    claims: TokenClaims | null,
    refusal: string,
  ): Promise<UpgradeAuth> {
    if (!claims) return { refusal };
    const standing = await this.revocations.standing(claims);
    if (standing === 'disabled')
      return { refusal: ACCOUNT_DISABLED, status: 403 };
    return standing === 'good' ? { claims } : { refusal };
  }

  private async unrevoked(
    claims: TokenClaims | null,
  ): Promise<TokenClaims | null> {
    if (!claims) return null;
    return (await this.revocations.revokedAmong([claims])).size === 0
      ? claims
      : null;
  }

  private inEpoch(claims: TokenClaims): boolean {
    const epoch = this.epoch?.current?.id;
    return epoch === undefined || claims.ep === epoch;
  }

  private async decode(token: string | undefined): Promise<TokenClaims | null> {
    if (!token) return null;
    try {
      const claims: unknown = await this.jwt.verifyAsync(token, {
        clockTimestamp: Date.now() / 1000,
      });
      return isTokenClaims(claims) && this.inEpoch(claims) ? claims : null;
    } catch {
      return null;
    }
  }

  /* `iat` in milliseconds (a fractional NumericDate), so a logout of every token never catches one issued a moment later. */
  private sign(username: string): Promise<string> {
    return this.jwt.signAsync({
      sub: username,
      jti: randomUUID(),
      iat: Date.now() / 1000,
      ...(this.epoch?.current && { ep: this.epoch.current.id }),
    });
  }

  private log(event: string, user: string, address: string): void {
    this.audit.log(
      `${event} user=${user} address=${address} instance=${this.instance}`,
    );
  }
}

function disabledMessage(name: string): string {
  return `The account ${name} is disabled by an administrator: it cannot log in until it is enabled again`;
}
