import {
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';

import { AuthModule } from '@app/auth';
import { RoomsModule } from '@app/rooms';

import { ChatModule } from '../chat/chat.module';
import { INSTANCE_NAME } from '../instance-id';

import { AdminRoomsController } from './admin-rooms.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminUsersController } from './admin-users.controller';
import { AuthCorsMiddleware } from './auth-cors.middleware';
import { AuthController } from './auth.controller';
import { RetryAfterFilter } from './retry-after.filter';
import { RoomsController } from './rooms.controller';

@Module({
  imports: [
    AuthModule.forInstance(INSTANCE_NAME),
    ChatModule,
    RoomsModule.forInstance(INSTANCE_NAME),
  ],
  controllers: [
    AdminRoomsController,
    AdminUsersController,
    AuthController,
    RoomsController,
  ],
  providers: [
    AdminTokenGuard,
    { provide: APP_FILTER, useClass: RetryAfterFilter },
  ],
})
export class HttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(AuthCorsMiddleware)
      .forRoutes({ path: 'auth/*path', method: RequestMethod.ALL });
  }
}
