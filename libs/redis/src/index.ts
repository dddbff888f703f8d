export * from './redis.constants';
export * from './redis.module';
export * from './redis-options';
