import { Module } from '@nestjs/common';

import { AuthModule } from '@app/auth';
import { PubsubModule } from '@app/pubsub';
import { RoomsModule } from '@app/rooms';

import { HealthModule } from '../health/health.module';
import { INSTANCE_NAME } from '../instance-id';

import { ChatDelivery } from './delivery/chat-delivery.service';
import { ChatEventsController } from './delivery/chat-events.controller';
import { ChatGateway } from './edge/chat.gateway';
import { ChatService } from './chat.service';
import { InstanceHeartbeat } from './cluster/instance-heartbeat.service';
import { ModerationService } from './moderation.service';
import { RevocationWatcher } from './cluster/revocation-watcher.service';
import { SessionRegistry } from './delivery/session-registry.service';

@Module({
  imports: [
    AuthModule.forInstance(INSTANCE_NAME),
    HealthModule,
    PubsubModule,
    RoomsModule.forInstance(INSTANCE_NAME),
  ],
  controllers: [ChatEventsController],
  providers: [
    ChatDelivery,
    ChatGateway,
    ChatService,
    InstanceHeartbeat,
    ModerationService,
    RevocationWatcher,
    SessionRegistry,
  ],
  exports: [ModerationService],
})
export class ChatModule {}
