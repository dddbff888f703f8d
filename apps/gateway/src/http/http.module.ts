import { Module } from '@nestjs/common';

import { AuthModule } from '@app/auth';
import { RoomsModule } from '@app/rooms';

import { INSTANCE_NAME } from '../instance-id';

import { AdminTokenGuard } from './admin-token.guard';
import { AuthController } from './auth.controller';
import { RoomsController } from './rooms.controller';

@Module({
  imports: [AuthModule, RoomsModule.forInstance(INSTANCE_NAME)],
  controllers: [AuthController, RoomsController],
  providers: [AdminTokenGuard],
})
export class HttpModule {}
