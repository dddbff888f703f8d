/**
 * The Redis keys of the chat's messages (the rooms and auth libraries build theirs in rooms-keys.ts and auth-keys.ts). Scripts receive their keys through KEYS, built here.
 *
 *   chat:seq                      last message id handed out (ids: see chat-bus `publish.lua`)
 *   chat:epoch                    "<random>:<first id>" of the current data set; its loss means Redis lost data
 *   chat:history:room:<room>      stream of the room's messages (entry id = message id)
 *   chat:history:dm:<user>        stream of DMs to or from the user
 *   chat:history:dm:<user>:with:<other>  stream of the ids (no text) of the user's DMs with <other>, to page one conversation
 *   chat:history:dm-indexed-since the first DM id written with its conversation index; older DMs may have none
 *   chat:history:said:<user>      stream of the user's room messages, kept only while someone follows the user
 *   chat:dm-seen:<user>           the message id up to which some session of the user has been sent every DM
 *   chat:reads:<user>             sorted set of the user's expensive reads in flight (member: lease, score: expiry ms)
 *   chat:subs:<user>              set of the users who follow <user>
 *   chat:subscriptions:<user>     set of the users <user> follows
 *   chat:{u:<user>}:sessions      the rooms library's hash session -> instance (RoomsKeys.userSessions); publish.lua
 *                                 reads its HLEN for a DM's `delivered` (a read across libraries, for lane S to replace)
 *   chat:cid:<user>:<cid>         the reply to a client message id, for idempotent retries
 *   chat:rate:<user>              the user's message token bucket; chat:strikes:<user> its recent violations
 */
export const ChatKeys = {
  seq: 'chat:seq',
  epoch: 'chat:epoch',
  online: (user: string): string => `chat:{u:${user}}:sessions`,
  roomHistory: (room: string): string => `chat:history:room:${room}`,
  dmHistory: (user: string): string => `chat:history:dm:${user}`,
  dmWith: (user: string, other: string): string =>
    `chat:history:dm:${user}:with:${other}`,
  dmIndexedSince: 'chat:history:dm-indexed-since',
  saidHistory: (user: string): string => `chat:history:said:${user}`,
  dmSeen: (user: string): string => `chat:dm-seen:${user}`,
  reads: (user: string): string => `chat:reads:${user}`,
  followers: (user: string): string => `chat:subs:${user}`,
  following: (user: string): string => `chat:subscriptions:${user}`,
  cid: (user: string, cid: string): string => `chat:cid:${user}:${cid}`,
  rate: (user: string): string => `chat:rate:${user}`,
  strikes: (user: string): string => `chat:strikes:${user}`,
} as const;
