export const CHAT_BUS_CLIENT = Symbol('CHAT_BUS_CLIENT');

/** Channels of the Redis microservice transport; every instance subscribes to all of them. */
export enum BusPattern {
  Canary = 'chat.canary',
  Dm = 'chat.dm',
  Message = 'chat.message',
  Presence = 'chat.presence',
}

export const MESSAGE_SEQ_KEY = 'chat:msg:seq';
export const subscribersKey = (target: string): string => `chat:subs:${target}`;
export const subscriptionsKey = (subscriber: string): string => `chat:subscriptions:${subscriber}`;
