import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';

import { JWT_SECRET } from './auth.constants';
import { AuthService } from './auth.service';
import { JwtSecretModule } from './jwt-secret.module';
import { JwtStrategy } from './jwt.strategy';
import { LoginThrottle } from './login-throttle.service';
import { UsersService } from './users.service';

@Module({
  imports: [
    JwtSecretModule,
    PassportModule,
    JwtModule.registerAsync({
      imports: [JwtSecretModule],
      inject: [ConfigService, JWT_SECRET],
      useFactory: (config: ConfigService, secret: string) => ({
        secret,
        signOptions: { expiresIn: config.getOrThrow<number>('JWT_TTL_SECONDS') },
      }),
    }),
  ],
  providers: [AuthService, JwtStrategy, LoginThrottle, UsersService],
  exports: [AuthService, LoginThrottle, UsersService],
})
export class AuthModule {}
