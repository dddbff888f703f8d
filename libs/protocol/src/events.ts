export enum ClientEvent {
  Dm = 'dm',
  Join = 'join',
  Leave = 'leave',
  Rooms = 'rooms',
  Send = 'send',
  Subscribe = 'subscribe',
  Unsubscribe = 'unsubscribe',
  Who = 'who',
}

export enum ServerEvent {
  Dm = 'dm',
  Error = 'error',
  Joined = 'joined',
  Message = 'message',
  Presence = 'presence',
  Rooms = 'rooms',
  Sent = 'sent',
  Subscribed = 'subscribed',
  Unsubscribed = 'unsubscribed',
  Welcome = 'welcome',
  Who = 'who',
}

export enum ErrorCode {
  BadRequest = 'BAD_REQUEST',
  Internal = 'INTERNAL',
  NotFound = 'NOT_FOUND',
  Offline = 'OFFLINE',
  RateLimited = 'RATE_LIMITED',
  TooLarge = 'TOO_LARGE',
  Unauthorized = 'UNAUTHORIZED',
  UnknownEvent = 'UNKNOWN_EVENT',
}
