import { Module } from '@nestjs/common';

import { BusServer } from './bus-transport';
import { BusService } from './bus.service';
import { ChatBus } from './chat-bus.service';
import { HistoryService } from './history.service';
import { ReadLeases } from './read-leases.service';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  providers: [
    BusServer,
    BusService,
    ChatBus,
    HistoryService,
    ReadLeases,
    SubscriptionsService,
  ],
  exports: [
    BusServer,
    BusService,
    ChatBus,
    HistoryService,
    ReadLeases,
    SubscriptionsService,
  ],
})
export class PubsubModule {}
