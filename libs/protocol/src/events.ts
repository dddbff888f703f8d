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
  /** The user already follows MAX_FOLLOWS_PER_USER users. */
  FollowLimit = 'FOLLOW_LIMIT',
  Internal = 'INTERNAL',
  /** Live delivery had a gap that stored history could not fill: some messages may be missing. */
  MessagesMissing = 'MESSAGES_MISSING',
  NotFound = 'NOT_FOUND',
  RateLimited = 'RATE_LIMITED',
  /** The user created ROOMS_CREATED_PER_HOUR rooms in the last hour. */
  RoomLimit = 'ROOM_LIMIT',
  /** The user has MAX_READS_IN_FLIGHT_PER_USER history reads or replays running: retry when one ends. */
  TooManyReads = 'TOO_MANY_READS',
  /** The chat store did not answer in time: the outcome is unknown; retrying with the same `cid` is safe. */
  Timeout = 'TIMEOUT',
  TooLarge = 'TOO_LARGE',
  Unauthorized = 'UNAUTHORIZED',
  UnknownEvent = 'UNKNOWN_EVENT',
}
