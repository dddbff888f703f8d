export * from './bus-events';
export * from './bus-transport';
export * from './chat-bus.service';
export * from './history.service';
export * from './pubsub.constants';
export * from './pubsub.module';
export * from './read-leases.service';
export * from './subscriptions.service';
