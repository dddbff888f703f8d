import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';

import { AUTH_INSTANCE } from './auth.constants';
import { AuthService } from './auth.service';
import { BearerAuthGuard } from './bearer-auth.guard';
import { JwtSecretModule } from './jwt-secret.module';
import { JwtSecret } from './jwt-secret.service';
import { LoginThrottle } from './login-throttle.service';
import { PasswordHasher } from './password-hasher.service';
import { TokenRevocations } from './token-revocations.service';
import { UsersService } from './users.service';
import { WsTickets } from './ws-tickets.service';

const SERVICES = [
  AuthService,
  BearerAuthGuard,
  LoginThrottle,
  PasswordHasher,
  TokenRevocations,
  UsersService,
  WsTickets,
];

const modules = new Map<string, DynamicModule>();

@Module({})
export class AuthModule {
  /**
   * Accounts, logins and tokens for the gateway instance `instance` (named in audit lines). Every
   * importer gets the same module object, so the hashing queue and its limit are shared.
   */
  static forInstance(instance: string): DynamicModule {
    const existing = modules.get(instance);
    if (existing) return existing;
    const module: DynamicModule = {
      module: AuthModule,
      imports: [
        JwtSecretModule,
        JwtModule.registerAsync({
          imports: [JwtSecretModule],
          inject: [ConfigService, JwtSecret],
          useFactory: (config: ConfigService, secret: JwtSecret) => ({
            // Read at every sign and verify: the secret changes after Redis lost its data.
            secretOrKeyProvider: () => secret.current,
            signOptions: {
              expiresIn: config.getOrThrow<number>('JWT_TTL_SECONDS'),
            },
          }),
        }),
      ],
      providers: [{ provide: AUTH_INSTANCE, useValue: instance }, ...SERVICES],
      exports: [JwtSecretModule, ...SERVICES],
    };
    modules.set(instance, module);
    return module;
  }
}
