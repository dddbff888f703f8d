import { HttpException, HttpStatus, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';

import { LoginResponse } from '@app/protocol';

import { LoginThrottle } from './login-throttle.service';
import { UsersService } from './users.service';

export interface TokenClaims {
  sub: string;
  exp: number;
}

export const WRONG_CREDENTIALS = 'Wrong username or password';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Logs the user in, registering the name with this password on its first login. */
  async login(username: string, password: string, address: string): Promise<LoginResponse> {
    const wait = await this.throttle.retryAfter(username, address);
    if (wait > 0) {
      throw new HttpException(`Too many failed logins for "${username}": try again in ${wait} s`, HttpStatus.TOO_MANY_REQUESTS);
    }
    const created = await this.verifyOrRegister(username, password).catch(async (err: unknown) => {
      if (err instanceof UnauthorizedException) await this.throttle.recordFailure(username, address);
      throw err;
    });
    const token = await this.jwt.signAsync({ sub: username });
    return { token, username, created };
  }

  /** The token's claims, or null when it is missing, forged or expired. */
  async verify(token: string | undefined): Promise<TokenClaims | null> {
    if (!token) return null;
    try {
      const claims = await this.jwt.verifyAsync<TokenClaims>(token);
      return typeof claims.sub === 'string' ? claims : null;
    } catch {
      return null;
    }
  }

  private async verifyOrRegister(username: string, password: string): Promise<boolean> {
    const stored = await this.users.passwordHash(username);
    if (stored === null) {
      if (await this.users.create(username, await argon2.hash(password, { type: argon2.argon2id }))) return true;
      return this.verifyOrRegister(username, password);
    }
    if (!(await argon2.verify(stored, password))) throw new UnauthorizedException(WRONG_CREDENTIALS);
    return false;
  }
}
