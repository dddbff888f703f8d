import { Module } from '@nestjs/common';

import { ChatBus } from './chat-bus.service';
import { HistoryService } from './history.service';
import { ReadLeases } from './read-leases.service';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  providers: [ChatBus, HistoryService, ReadLeases, SubscriptionsService],
  exports: [ChatBus, HistoryService, ReadLeases, SubscriptionsService],
})
export class PubsubModule {}
