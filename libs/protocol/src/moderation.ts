import type { Ref } from './payloads';

/** A user's role in a room. Members without a role have none (`undefined`). `global` has no owner. */
export type RoomRole = 'owner' | 'op';

/** What a `notice` records. */
export type NoticeAction =
  | 'ban'
  | 'deop'
  | 'invite'
  | 'kick'
  | 'mute'
  | 'op'
  | 'owner'
  | 'private'
  | 'topic'
  | 'unban'
  | 'unmute';

/**
 * A moderation action or a setting change, stored in the room's stream like a message (so late joiners, `history`
 * and `resume` see it) and delivered as a `notice` frame. `by` is the acting user, or `admin` for the REST API.
 */
export interface Notice {
  id: string;
  room: string;
  by: string;
  action: NoticeAction;
  /** The user acted on (all actions but `topic` and `private`). */
  user?: string;
  reason?: string;
  /** `ban` and `mute`: when it ends (ms since the epoch); absent when it does not end by itself. */
  until?: number;
  /** `topic`: the new topic ("" clears it). */
  text?: string;
  /** `private`: the new setting. */
  on?: boolean;
  ts: number;
}

/** To every session of a kicked or banned user: they are out of `room` (their session is back in `global`). */
export interface Removed {
  room: string;
  action: 'ban' | 'kick';
  by: string;
  reason?: string;
  until?: number;
}

/** The reply to `invite`, `kick`, `ban`, `unban`, `mute`, `unmute`, `op`, `deop` and `owner`. */
export interface ModerationReply {
  ref?: Ref;
  room: string;
  user: string;
  /** `ban` and `mute` only: when it ends (ms since the epoch); absent when it does not end by itself. */
  until?: number;
}

/** The reply to `topic`. */
export interface TopicReply {
  ref?: Ref;
  room: string;
  text: string;
}

/** The reply to `private`. */
export interface PrivateReply {
  ref?: Ref;
  room: string;
  on: boolean;
}

export interface UserInRoomRequest {
  ref?: Ref;
  room: string;
  user: string;
}

export interface KickRequest extends UserInRoomRequest {
  reason?: string;
}

export interface BanRequest extends UserInRoomRequest {
  /** 1 to MAX_MODERATION_SECONDS; absent: until `unban`. */
  seconds?: number;
  reason?: string;
}

export interface MuteRequest extends UserInRoomRequest {
  /** 1 to MAX_MODERATION_SECONDS; absent: until `unmute`. */
  seconds?: number;
}

export interface TopicRequest {
  ref?: Ref;
  room: string;
  /** 0 to MAX_TOPIC_LENGTH characters, no control characters; "" clears the topic. */
  text: string;
}

export interface PrivateRequest {
  ref?: Ref;
  room: string;
  on: boolean;
}
