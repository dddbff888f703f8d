/**
 * The Redis keys of the chat not yet moved to their library (messages, DMs and follows are in
 * `libs/pubsub/src/pubsub-keys.ts`). Scripts receive their keys through KEYS, built here.
 *
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
 *   chat:rooms-created:<user>     rooms the user created in the current hour (ROOMS_CREATED_PER_HOUR)
 *   chat:cluster-settings         hash setting -> value of the settings every instance must agree on
 */
export const ChatKeys = {
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
  roomsCreated: (user: string): string => `chat:rooms-created:${user}`,
  clusterSettings: 'chat:cluster-settings',
} as const;
