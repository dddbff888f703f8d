import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { defineLuaCommand, LuaCommand, readLuaFile, REDIS } from '@app/redis';

import {
  addressFailuresKey,
  loginFailuresKey,
  registrationsKey,
} from './auth.constants';

export type ThrottleScope = 'name' | 'address';

export type Reservation =
  /** `exhausted`: the counters this attempt took the last allowance of; if it fails, they are locked out. */
  | { granted: true; exhausted: ThrottleScope[] }
  | { granted: false; retryAfter: number; scope: ThrottleScope };

const SCOPES: ThrottleScope[] = ['name', 'address'];

/**
 * Limits failed logins per name and address (LOGIN_MAX_FAILURES) and per address across names
 * (LOGIN_MAX_FAILURES_PER_ADDRESS), and new accounts per address (REGISTRATIONS_PER_ADDRESS),
 * across the cluster.
 *
 * Every login attempt is counted before its password is checked (reserve, one Lua step that
 * checks and counts together), and a successful one is taken back (release): so however many
 * guesses race on however many instances, at most the limit ever reach the password check, while
 * successful logins never count against anyone.
 */
@Injectable()
export class LoginThrottle {
  private readonly reserve: LuaCommand<number[]>;
  private readonly release: LuaCommand<number>;

  constructor(
    @Inject(REDIS) redis: Redis,
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
    const limits = [
      this.config.getOrThrow<number>('LOGIN_MAX_FAILURES'),
      this.config.getOrThrow<number>('LOGIN_MAX_FAILURES_PER_ADDRESS'),
    ];
    const [granted, ...rest] = await this.reserve(
      [loginFailuresKey(name, address), addressFailuresKey(address)],
      [limits[0], window, limits[1], window],
    );
    if (!granted)
      return {
        granted: false,
        retryAfter: rest[0],
        scope: SCOPES[rest[1] - 1],
      };
    return {
      granted: true,
      exhausted: SCOPES.filter((_, i) => rest[i] === limits[i]),
    };
  }

  /** Takes back the attempt of a login that succeeded (or never reached the password check). */
  async releaseLogin(name: string, address: string): Promise<void> {
    await this.release(
      [loginFailuresKey(name, address), addressFailuresKey(address)],
      [],
    );
  }

  /** Counts a new account from `address`: 0 when allowed, else the seconds until the next one is. */
  async reserveRegistration(address: string): Promise<number> {
    const limit = this.config.getOrThrow<number>('REGISTRATIONS_PER_ADDRESS');
    const window = this.config.getOrThrow<number>(
      'REGISTRATION_WINDOW_SECONDS',
    );
    const [granted, retryAfter] = await this.reserve(
      [registrationsKey(address)],
      [limit, window],
    );
    return granted ? 0 : retryAfter;
  }
}
