export enum ClientEvent {
  Ban = 'ban',
  Deop = 'deop',
  Dm = 'dm',
  History = 'history',
  Invite = 'invite',
  Join = 'join',
  Kick = 'kick',
  Leave = 'leave',
  Mute = 'mute',
  Op = 'op',
  Owner = 'owner',
  Private = 'private',
  Resume = 'resume',
  Rooms = 'rooms',
  Send = 'send',
  Subscribe = 'subscribe',
  Topic = 'topic',
  Unban = 'unban',
  Unmute = 'unmute',
  Unsubscribe = 'unsubscribe',
  Who = 'who',
}

export enum ServerEvent {
  Banned = 'banned',
  Deopped = 'deopped',
  Dm = 'dm',
  Error = 'error',
  History = 'history',
  Invited = 'invited',
  Joined = 'joined',
  Kicked = 'kicked',
  Message = 'message',
  Muted = 'muted',
  /** A moderation action or a room setting change, stored in the room's stream (it has an id, like a message). */
  Notice = 'notice',
  Opped = 'opped',
  OwnerSet = 'owner',
  Presence = 'presence',
  Private = 'private',
  /** To the user's own sessions: they were kicked or banned from a room and are no longer in it. */
  Removed = 'removed',
  Reconnect = 'reconnect',
  Resumed = 'resumed',
  Rooms = 'rooms',
  Sent = 'sent',
  Subscribed = 'subscribed',
  Topic = 'topic',
  Unbanned = 'unbanned',
  Unmuted = 'unmuted',
  Unsubscribed = 'unsubscribed',
  Welcome = 'welcome',
  Who = 'who',
}

export enum ErrorCode {
  BadRequest = 'BAD_REQUEST',
  /** The user is banned from the room (join, resume into it, send to it). The message says until when. */
  Banned = 'BANNED',
  /** The user already follows MAX_FOLLOWS_PER_USER users. */
  FollowLimit = 'FOLLOW_LIMIT',
  /** The user's role in the room does not allow this action (owner, operator, or an admin for `global`). */
  Forbidden = 'FORBIDDEN',
  Internal = 'INTERNAL',
  /** Live delivery had a gap that stored history could not fill: some messages may be missing. */
  MessagesMissing = 'MESSAGES_MISSING',
  /** The user is muted in the room: they read it, but their sends to it are refused. The message says until when. */
  Muted = 'MUTED',
  /**
   * The room is private and the user is not a member with an invite. The same code and message for join, history and
   * resume, whether or not the room exists: it reveals nothing else about the room.
   */
  NotInvited = 'NOT_INVITED',
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
