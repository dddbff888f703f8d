import { Module } from '@nestjs/common';

import { JWT_SECRET } from './auth.constants';
import { jwtSecretProvider } from './jwt-secret.provider';

/** The one JWT secret (resolved once at boot). */
@Module({
  providers: [jwtSecretProvider],
  exports: [JWT_SECRET],
})
export class JwtSecretModule {}
