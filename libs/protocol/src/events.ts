export enum ClientEvent {
  Dm = 'dm',
  History = 'history',
  Join = 'join',
  Leave = 'leave',
  Resume = 'resume',
  Rooms = 'rooms',
  Send = 'send',
  Subscribe = 'subscribe',
  Unsubscribe = 'unsubscribe',
  Who = 'who',
}

export enum ServerEvent {
  Dm = 'dm',
  Error = 'error',
  History = 'history',
  Joined = 'joined',
  Message = 'message',
  Presence = 'presence',
  Reconnect = 'reconnect',
  Resumed = 'resumed',
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
  /** Live delivery had a gap that stored history could not fill: some messages may be missing. */
  MessagesMissing = 'MESSAGES_MISSING',
  NotFound = 'NOT_FOUND',
  RateLimited = 'RATE_LIMITED',
  /** The chat store did not answer in time: the outcome is unknown; retrying with the same `cid` is safe. */
  Timeout = 'TIMEOUT',
  TooLarge = 'TOO_LARGE',
  Unauthorized = 'UNAUTHORIZED',
  UnknownEvent = 'UNKNOWN_EVENT',
}
