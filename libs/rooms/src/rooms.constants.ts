export const INSTANCE_ID = Symbol('INSTANCE_ID');

export const ROOMS_KEY = 'chat:rooms';
export const ROOM_KEY_PREFIX = 'chat:room:';
export const ONLINE_KEY = 'chat:online';
export const INSTANCES_KEY = 'chat:instances';

export const instanceSessionsKey = (instance: string): string => `chat:instance:${instance}:sessions`;
export const instanceAliveKey = (instance: string): string => `chat:instance:${instance}:alive`;
