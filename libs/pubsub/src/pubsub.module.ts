import { Module } from '@nestjs/common';

import { ChatBus } from './chat-bus.service';
import { HistoryService } from './history.service';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  providers: [ChatBus, HistoryService, SubscriptionsService],
  exports: [ChatBus, HistoryService, SubscriptionsService],
})
export class PubsubModule {}
