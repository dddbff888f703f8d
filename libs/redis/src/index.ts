export * from './chat-keys';
export * from './redis.constants';
export * from './redis-epoch.service';
export * from './redis.module';
export * from './redis-options';
export * from './redis-persistence';
export * from './redis-scripts';
