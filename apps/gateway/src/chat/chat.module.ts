import { Module } from '@nestjs/common';

import { AuthModule } from '@app/auth';
import { PubsubModule } from '@app/pubsub';
import { RoomsModule } from '@app/rooms';

import { HealthModule } from '../health/health.module';
import { INSTANCE_NAME } from '../instance-id';

import { ChatEventsController } from './chat-events.controller';
import { ChatGateway } from './chat.gateway';
import { ChatService } from './chat.service';
import { InstanceHeartbeat } from './instance-heartbeat.service';
import { SessionRegistry } from './session-registry.service';

@Module({
  imports: [AuthModule, HealthModule, PubsubModule, RoomsModule.forInstance(INSTANCE_NAME)],
  controllers: [ChatEventsController],
  providers: [ChatGateway, ChatService, InstanceHeartbeat, SessionRegistry],
})
export class ChatModule {}
