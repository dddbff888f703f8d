import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import {
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { KNOWN_ADDRESS_SECONDS } from './auth.constants';
import { AuthKeys } from './auth-keys';

export type ThrottleScope = 'name' | 'address' | 'account';

export type Reservation =
  /**
   * `exhausted`: the counters this attempt took the last allowance of; if it fails, they are locked out.
   * `keys`: the counters it was counted on, to give it back on.
   */
  | { granted: true; exhausted: ThrottleScope[]; keys: string[] }
  | { granted: false; retryAfter: number; scope: ThrottleScope };

export type RegistrationScope = 'address' | 'cluster';

const SCOPES: ThrottleScope[] = ['name', 'address', 'account'];
const REGISTRATION_SCOPES: RegistrationScope[] = ['address', 'cluster'];
const HOUR_SECONDS = 3600;

/**
 * Limits failed logins per name and address (LOGIN_MAX_FAILURES), per address across names
 * (LOGIN_MAX_FAILURES_PER_ADDRESS) and per account across the addresses it never logged in from
 * (LOGIN_MAX_FAILURES_PER_ACCOUNT), and new accounts per address (REGISTRATIONS_PER_ADDRESS) and
 * across the cluster (REGISTRATIONS_PER_HOUR).
 *
 * Every login attempt is counted before its password is checked (reserve, one Lua step that
 * checks and counts together), and a successful one is taken back (release): so however many
 * guesses race on however many instances, at most the limit ever reach the password check, while
 * successful logins never count against anyone. The counters live in different slots (the name's and the
 * address's), so each is reserved in a step of its own, in order; a refusal gives back the ones already
 * taken. Each counter alone never passes its limit; a refusal racing another attempt may refuse it too,
 * never let one more through. An address the account logged in from within
 * KNOWN_ADDRESS_SECONDS is not held by the per-account limit, so guesses spread over many addresses
 * lock out strangers, not the owner at their usual address.
 */
@Injectable()
export class LoginThrottle {
  private readonly reserve: LuaCommand<number[]>;
  private readonly release: LuaCommand<number>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: ConfigService,
  ) {
    this.reserve = defineLuaCommand(
      redis,
      'chatReserveAttempt',
      readLuaFile(__dirname, 'reserve-attempt.lua'),
    );
    this.release = defineLuaCommand(
      redis,
      'chatReleaseAttempt',
      readLuaFile(__dirname, 'release-attempt.lua'),
    );
  }

  async reserveLogin(name: string, address: string): Promise<Reservation> {
    const window = this.config.getOrThrow<number>(
      'LOGIN_FAILURE_WINDOW_SECONDS',
    );
    const known =
      (await this.redis.exists(AuthKeys.knownAddress(name, address))) === 1;
    const keys = [
      AuthKeys.loginFailures(name, address),
      AuthKeys.addressFailures(address),
      ...(known ? [] : [AuthKeys.accountFailures(name)]),
    ];
    const limits = [
      this.config.getOrThrow<number>('LOGIN_MAX_FAILURES'),
      this.config.getOrThrow<number>('LOGIN_MAX_FAILURES_PER_ADDRESS'),
      this.config.getOrThrow<number>('LOGIN_MAX_FAILURES_PER_ACCOUNT'),
    ].slice(0, keys.length);
    const outcome = await this.reserveEach(
      keys,
      limits.map((limit) => [limit, window]),
    );
    if ('refusedBy' in outcome)
      return {
        granted: false,
        retryAfter: outcome.retryAfter,
        scope: SCOPES[outcome.refusedBy],
      };
    return {
      granted: true,
      exhausted: SCOPES.slice(0, keys.length).filter(
        (_, i) => outcome.counts[i] === limits[i],
      ),
      keys,
    };
  }

  /** Takes back the attempt of a login that succeeded (or never reached the password check). */
  async releaseLogin(reservation: { keys: string[] }): Promise<void> {
    await Promise.all(reservation.keys.map((key) => this.release([key], [])));
  }

  /** Remembers that the account logged in from `address` (see the per-account limit). */
  async rememberAddress(name: string, address: string): Promise<void> {
    await this.redis.set(
      AuthKeys.knownAddress(name, address),
      '1',
      'EX',
      KNOWN_ADDRESS_SECONDS,
    );
  }

  /**
   * Counts a new account from `address`, and across the cluster: `wait` 0 when allowed, else the
   * seconds until the next one is, and which limit refused it.
   */
  async reserveRegistration(
    address: string,
  ): Promise<{ wait: number; scope?: RegistrationScope }> {
    const limit = this.config.getOrThrow<number>('REGISTRATIONS_PER_ADDRESS');
    const window = this.config.getOrThrow<number>(
      'REGISTRATION_WINDOW_SECONDS',
    );
    const perHour = this.config.getOrThrow<number>('REGISTRATIONS_PER_HOUR');
    const outcome = await this.reserveEach(
      [AuthKeys.registrations(address), AuthKeys.clusterRegistrations],
      [
        [limit, window],
        [perHour, HOUR_SECONDS],
      ],
    );
    return 'refusedBy' in outcome
      ? {
          wait: outcome.retryAfter,
          scope: REGISTRATION_SCOPES[outcome.refusedBy],
        }
      : { wait: 0 };
  }

  /* One counter per step (each key is its own slot on a cluster), in order; a refusal gives back the
     counters taken before it. A crash between the two leaves an attempt counted that never ran: it
     expires with its window, and only ever refuses, never admits, one more. */
  private async reserveEach(
    keys: string[],
    limits: Array<[limit: number, windowSeconds: number]>,
  ): Promise<{ counts: number[] } | { refusedBy: number; retryAfter: number }> {
    const counts: number[] = [];
    for (const [i, key] of keys.entries()) {
      const [granted, value] = await this.reserve([key], limits[i]);
      if (!granted) {
        await Promise.all(keys.slice(0, i).map((k) => this.release([k], [])));
        return { refusedBy: i, retryAfter: value };
      }
      counts.push(value);
    }
    return { counts };
  }
}
