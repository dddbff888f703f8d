export * from './rooms.constants';
export * from './rooms-keys';
export * from './rooms.module';
export * from './room-access.service';
export * from './rooms.service';
