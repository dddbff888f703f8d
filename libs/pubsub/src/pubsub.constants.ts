/** Channels of the chat bus; every instance subscribes to all of them through the Redis transport. */
export enum BusPattern {
  Canary = 'chat.canary',
  Dm = 'chat.dm',
  Follow = 'chat.follow',
  Message = 'chat.message',
  Presence = 'chat.presence',
}
