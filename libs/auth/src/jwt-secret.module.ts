import { Module } from '@nestjs/common';

import { JwtSecret } from './jwt-secret.service';

/** The one JWT secret, shared by signing and verifying. */
@Module({
  providers: [JwtSecret],
  exports: [JwtSecret],
})
export class JwtSecretModule {}
