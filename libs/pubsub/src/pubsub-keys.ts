/**
 * The Redis keys of libs/pubsub (messages, DMs, follows, reads). Every key carries a hash tag, so that a
 * script or pipeline touching one room's or one user's keys stays in one slot of a Redis Cluster:
 *
 *   chat:{r:<room>}:history         stream of the room's messages (entry id = message id)
 *   chat:{r:<room>}:seq             the room stream's last id
 *   chat:{r:<room>}:silenced        hash "ban:<user>" / "mute:<user>" -> ms it ends (0: until lifted); append.lua refuses their sends
 *   chat:{r:<room>}:done:<token>    the id a room store step gave its idempotency token (re-sends are no-ops)
 *   chat:{u:<user>}:inbox           stream of the DMs to or from the user (the user's own copy of each)
 *   chat:{u:<user>}:inbox-seq       the inbox stream's last id
 *   chat:{u:<user>}:with:<other>    stream of the ids (no text) of the user's DMs with <other>, to page one conversation
 *   chat:{u:<user>}:said            stream of the user's room messages, kept only while someone follows the user
 *   chat:{u:<user>}:said-seq        the said stream's last id
 *   chat:{u:<user>}:done:<token>    the id a user store step gave its idempotency token
 *   chat:{u:<user>}:dm-seen         the inbox id up to which some session of the user has been sent every DM
 *   chat:{u:<user>}:reads           sorted set of the user's expensive reads in flight (member: lease, score: expiry ms)
 *   chat:{u:<user>}:followers       set of the users who follow <user>
 *   chat:{u:<user>}:following       set of the users <user> follows
 *   chat:{u:<user>}:cid:<cid>       "<token> <target> <kind> <id>" of a client message id, for idempotent retries
 *   chat:{u:<user>}:rate            the user's message token bucket; chat:{u:<user>}:strikes its recent violations
 */
export const PubsubKeys = {
  roomHistory: (room: string): string => `chat:{r:${room}}:history`,
  roomSeq: (room: string): string => `chat:{r:${room}}:seq`,
  roomSilenced: (room: string): string => `chat:{r:${room}}:silenced`,
  roomDone: (room: string, token: string): string =>
    `chat:{r:${room}}:done:${token}`,
  inbox: (user: string): string => `chat:{u:${user}}:inbox`,
  inboxSeq: (user: string): string => `chat:{u:${user}}:inbox-seq`,
  dmWith: (user: string, other: string): string =>
    `chat:{u:${user}}:with:${other}`,
  said: (user: string): string => `chat:{u:${user}}:said`,
  saidSeq: (user: string): string => `chat:{u:${user}}:said-seq`,
  userDone: (user: string, token: string): string =>
    `chat:{u:${user}}:done:${token}`,
  dmSeen: (user: string): string => `chat:{u:${user}}:dm-seen`,
  reads: (user: string): string => `chat:{u:${user}}:reads`,
  followers: (user: string): string => `chat:{u:${user}}:followers`,
  following: (user: string): string => `chat:{u:${user}}:following`,
  cid: (user: string, cid: string): string => `chat:{u:${user}}:cid:${cid}`,
  rate: (user: string): string => `chat:{u:${user}}:rate`,
  strikes: (user: string): string => `chat:{u:${user}}:strikes`,
} as const;
