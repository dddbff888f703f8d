import { ClientEvent, ErrorCode, ServerEvent } from './events';
import type {
  BanRequest,
  KickRequest,
  ModerationReply,
  MuteRequest,
  Notice,
  PrivateReply,
  PrivateRequest,
  Removed,
  RoomRole,
  TopicReply,
  TopicRequest,
  UserInRoomRequest,
} from './moderation';
import type { Cursors } from './streams';

export type Ref = string | number;

export interface Frame<E extends string = string, D = Record<string, unknown>> {
  event: E;
  data: D;
}

export interface LoginResponse {
  token: string;
  username: string;
  created: boolean;
}

export interface RoomCount {
  name: string;
  users: number;
  /** Set by the room's owner or an operator; absent when none. */
  topic?: string;
  /** `GET /rooms` only (admins see private rooms; `rooms` never lists them). */
  private?: boolean;
}

export interface Welcome {
  username: string;
  instance: string;
  room: string;
  /** DMs stored since this user's devices last received one; they follow right after `welcome`. */
  unreadDms: number;
  /** The public addresses (`https://host:port`) of the cluster's live instances, this one first: where to fail over. */
  instances: string[];
  /** Where each stream the session reads stands now (`room:global`, `dm`, `said:<followed>`): the client's first cursors. */
  cursors: Cursors;
}

export interface ChatMessage {
  id: string;
  room: string;
  from: string;
  text: string;
  ts: number;
  via?: 'subscription';
}

export interface DirectMessage {
  id: string;
  from: string;
  to: string;
  text: string;
  ts: number;
}

export interface Presence {
  room: string;
  user: string;
  action: 'join' | 'leave';
}

/** Sent on SIGTERM before close 1012: reconnect after a uniformly random delay in [0, withinMs], then resume. */
export interface ReconnectNotice {
  withinMs: number;
}

export interface ErrorPayload {
  ref?: Ref;
  code: ErrorCode;
  message: string;
}

export interface Sent {
  ref?: Ref;
  /** The id in the message's stream: the room's, or for a DM the sender's own inbox. */
  id: string;
  room?: string;
  to?: string;
  /** DMs only: false when the recipient had no session online (the DM is stored for them). */
  delivered?: boolean;
  cid?: string;
}

export interface Joined {
  ref?: Ref;
  room: string;
  users: number;
  /** The names of the users in the room, sorted. */
  members: string[];
  /** The room stream's last id when the session entered it: the client's cursor for `room:<room>`. */
  cursor: string;
  topic?: string;
  /** Present and true for a private (invite-only) room. */
  private?: boolean;
  /** The roles of the room's users that have one (owner, operators); everyone else is a member. */
  roles?: Record<string, RoomRole>;
}

export interface HistoryPage {
  ref?: Ref;
  room?: string;
  with?: string;
  /**
   * Oldest first: `message` payloads for a room, `dm` payloads for a conversation. A room's page also holds
   * its `notice` payloads (they have an `action`), in id order with its messages.
   */
  messages: Array<ChatMessage | DirectMessage | Notice>;
  /** True when older messages exist (ask again with `before` = the first id). */
  more: boolean;
}

export interface Resumed {
  ref?: Ref;
  /** Frames replayed (messages, DMs and subscription copies). */
  count: number;
  /** False when some stream could not be replayed whole (see `missing`). */
  complete: boolean;
  /** The streams whose messages after the cursor are not all there: trimmed (retention) or lost (a failover). */
  missing: string[];
}

export interface RoomsList {
  ref?: Ref;
  rooms: RoomCount[];
}

export interface SubscriptionChange {
  ref?: Ref;
  user: string;
  /** `subscribed` only: the said stream's last id, the client's cursor for `said:<user>`. */
  cursor?: string;
}

export interface WhoList {
  ref?: Ref;
  room: string;
  users: string[];
  /** The roles of the listed users that have one. */
  roles?: Record<string, RoomRole>;
}

export interface ServerPayloads {
  [ServerEvent.Banned]: ModerationReply;
  [ServerEvent.Deopped]: ModerationReply;
  [ServerEvent.Dm]: DirectMessage;
  [ServerEvent.Error]: ErrorPayload;
  [ServerEvent.History]: HistoryPage;
  [ServerEvent.Invited]: ModerationReply;
  [ServerEvent.Joined]: Joined;
  [ServerEvent.Kicked]: ModerationReply;
  [ServerEvent.Message]: ChatMessage;
  [ServerEvent.Muted]: ModerationReply;
  [ServerEvent.Notice]: Notice;
  [ServerEvent.Opped]: ModerationReply;
  [ServerEvent.OwnerSet]: ModerationReply;
  [ServerEvent.Presence]: Presence;
  [ServerEvent.Private]: PrivateReply;
  [ServerEvent.Removed]: Removed;
  [ServerEvent.Reconnect]: ReconnectNotice;
  [ServerEvent.Resumed]: Resumed;
  [ServerEvent.Rooms]: RoomsList;
  [ServerEvent.Sent]: Sent;
  [ServerEvent.Subscribed]: SubscriptionChange;
  [ServerEvent.Topic]: TopicReply;
  [ServerEvent.Unbanned]: ModerationReply;
  [ServerEvent.Unmuted]: ModerationReply;
  [ServerEvent.Unsubscribed]: SubscriptionChange;
  [ServerEvent.Welcome]: Welcome;
  [ServerEvent.Who]: WhoList;
}

export interface ClientPayloads {
  [ClientEvent.Ban]: BanRequest;
  [ClientEvent.Deop]: UserInRoomRequest;
  [ClientEvent.Dm]: { ref?: Ref; to: string; text: string; cid?: string };
  [ClientEvent.History]: {
    ref?: Ref;
    room?: string;
    with?: string;
    before?: string;
    limit?: number;
  };
  [ClientEvent.Invite]: UserInRoomRequest;
  [ClientEvent.Join]: { ref?: Ref; room: string };
  [ClientEvent.Kick]: KickRequest;
  [ClientEvent.Leave]: { ref?: Ref };
  [ClientEvent.Mute]: MuteRequest;
  [ClientEvent.Op]: UserInRoomRequest;
  [ClientEvent.Owner]: UserInRoomRequest;
  [ClientEvent.Private]: PrivateRequest;
  [ClientEvent.Resume]: { ref?: Ref; cursors: Cursors; room?: string };
  [ClientEvent.Rooms]: { ref?: Ref };
  [ClientEvent.Send]: { ref?: Ref; text: string; cid?: string };
  [ClientEvent.Subscribe]: { ref?: Ref; user: string };
  [ClientEvent.Topic]: TopicRequest;
  [ClientEvent.Unban]: UserInRoomRequest;
  [ClientEvent.Unmute]: UserInRoomRequest;
  [ClientEvent.Unsubscribe]: { ref?: Ref; user: string };
  [ClientEvent.Who]: { ref?: Ref; room?: string };
}

export type ServerFrame = {
  [E in ServerEvent]: Frame<E, ServerPayloads[E]>;
}[ServerEvent];
