export * from './rooms.constants';
export * from './rooms-keys';
export * from './rooms.module';
export * from './rooms.service';
