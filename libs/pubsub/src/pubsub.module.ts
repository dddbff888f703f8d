import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';

import { busTransportOptions } from './bus-transport';
import { ChatBus } from './chat-bus.service';
import { CHAT_BUS_CLIENT } from './pubsub.constants';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  providers: [
    {
      provide: CHAT_BUS_CLIENT,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ClientProxyFactory.create(busTransportOptions(config)),
    },
    ChatBus,
    SubscriptionsService,
  ],
  exports: [ChatBus, SubscriptionsService],
})
export class PubsubModule implements OnApplicationShutdown {
  constructor(@Inject(CHAT_BUS_CLIENT) private readonly client: ClientProxy) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
