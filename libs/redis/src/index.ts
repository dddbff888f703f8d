export * from './exec-pipeline';
export * from './lua-command';
export * from './redis.constants';
export * from './redis.module';
export * from './redis-errors';
export * from './redis-options';
export * from './redis-outage-log';
