import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

import { RedisModule } from '@app/redis';

import { ChatModule } from './chat/chat.module';
import { validateSettings } from './config/settings';
import { HttpModule } from './http/http.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true, ignoreEnvFile: true, validate: validateSettings }),
    RedisModule,
    ChatModule,
    HttpModule,
  ],
})
export class AppModule {}
