/**
 * Every Redis key of the chat, in one place. Scripts receive their keys through KEYS, built here.
 *
 *   chat:seq                      last message id handed out (ids: see chat-bus `publish.lua`)
 *   chat:epoch                    "<random>:<first id>" of the current data set; its loss means Redis lost data
 *   chat:room:<room>              hash user -> sessions of that user in the room (HLEN = distinct users)
 *   chat:rooms                    set of rooms with at least one user
 *   chat:online                   hash user -> live sessions
 *   chat:instances                set of live instance ids
 *   chat:instance:<id>:sessions   hash session -> "<user> <room>", so a dead instance's sessions can be reaped;
 *                                 "<user> " (no room) for a session admitted at the upgrade and not open yet
 *   chat:instance:<id>:alive      heartbeat key with a TTL; its value is the instance's public address
 *   chat:instance:<id>:reaped     set by whoever reaped the instance, so it puts its sessions back when it wakes
 *   chat:instance:<id>:addresses  hash client address -> the instance's open sessions from it (connection caps)
 *   chat:history:room:<room>      stream of the room's messages (entry id = message id)
 *   chat:history:dm:<user>        stream of DMs to or from the user
 *   chat:history:dm:<user>:with:<other>  stream of the ids (no text) of the user's DMs with <other>, to page one conversation
 *   chat:history:dm-indexed-since the first DM id written with its conversation index; older DMs may have none
 *   chat:history:said:<user>      stream of the user's room messages, kept only while someone follows the user
 *   chat:dm-seen:<user>           the message id up to which some session of the user has been sent every DM
 *   chat:reads:<user>             sorted set of the user's expensive reads in flight (member: lease, score: expiry ms)
 *   chat:subs:<user>              set of the users who follow <user>
 *   chat:subscriptions:<user>     set of the users <user> follows
 *   chat:cid:<user>:<cid>         the reply to a client message id, for idempotent retries
 *   chat:rate:<user>              the user's message token bucket; chat:strikes:<user> its recent violations
 *   chat:rooms-created:<user>     rooms the user created in the current hour (ROOMS_CREATED_PER_HOUR)
 *   chat:cluster-settings         hash setting -> value of the settings every instance must agree on
 */
export const ChatKeys = {
  seq: 'chat:seq',
  epoch: 'chat:epoch',
  rooms: 'chat:rooms',
  online: 'chat:online',
  instances: 'chat:instances',
  room: (room: string): string => `chat:room:${room}`,
  instanceSessions: (instance: string): string =>
    `chat:instance:${instance}:sessions`,
  instanceAlive: (instance: string): string =>
    `chat:instance:${instance}:alive`,
  instanceReaped: (instance: string): string =>
    `chat:instance:${instance}:reaped`,
  instanceAddresses: (instance: string): string =>
    `chat:instance:${instance}:addresses`,
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
  roomsCreated: (user: string): string => `chat:rooms-created:${user}`,
  clusterSettings: 'chat:cluster-settings',
} as const;
