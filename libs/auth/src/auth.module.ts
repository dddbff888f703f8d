import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';

import { JWT_SECRET } from './auth.constants';
import { AuthService } from './auth.service';
import { jwtSecretProvider } from './jwt-secret.provider';
import { JwtStrategy } from './jwt.strategy';
import { LoginThrottle } from './login-throttle.service';
import { UsersService } from './users.service';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService, JWT_SECRET],
      extraProviders: [jwtSecretProvider],
      useFactory: (config: ConfigService, secret: string) => ({
        secret,
        signOptions: { expiresIn: config.getOrThrow<number>('JWT_TTL_SECONDS') },
      }),
    }),
  ],
  providers: [AuthService, JwtStrategy, LoginThrottle, UsersService, jwtSecretProvider],
  exports: [AuthService, LoginThrottle, UsersService],
})
export class AuthModule {}
