export * from './command-parser';
export * from './events';
export * from './limits';
export * from './moderation';
export * from './payloads';
export * from './reconnect-policy';
export * from './streams';
