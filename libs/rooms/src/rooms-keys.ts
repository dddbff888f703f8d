/**
 * The keys of the rooms library (membership, counts, instance liveness), each with the hash tag of the one
 * slot its scripts and MULTIs touch (see docs/OPERATIONS.md, "Key layout"):
 *
 *   chat:{r:<room>}:sessions     hash session -> user, the sessions in the room (once per session)
 *   chat:{r:<room>}:users        hash user -> sessions of that user in the room (HLEN = distinct users)
 *   chat:{r:<room>}:version      the room's membership version, stamped on each change for the rooms index
 *   chat:{r:<room>}:access       hash owner, private ("1" when invite-only), topic
 *   chat:{r:<room>}:ops          set of the room's operators
 *   chat:{r:<room>}:invites      hash user -> ms the invite expires (INVITE_TTL_SECONDS)
 *   chat:{r:<room>}:bans         hash user -> ms the ban ends (0: until unbanned)
 *   chat:{r:<room>}:members      set of the users who may read a private room (its owner, ops, invited joiners)
 *   chat:{u:<user>}:sessions     hash session -> instance, the user's open sessions (MAX_SESSIONS_PER_USER)
 *   chat:{u:<user>}:rooms-created  rooms the user created in the current hour (ROOMS_CREATED_PER_HOUR)
 *   chat:{a:<address>}:sessions  hash session -> instance, open sessions from a client address (MAX_CONNECTIONS_PER_ADDRESS)
 *   chat:{i:<instance>}:sessions hash session -> {"u":user,"a":address,"r":room,"p":room being left}, so the
 *                                instance's sessions can be undone step by step when it dies
 *   chat:{i:<instance>}:alive    heartbeat key with a TTL; its value is the instance's public address
 *   chat:{i:<instance>}:reaped   set by whoever reaped the instance, so it puts its sessions back when it wakes
 *   chat:{instances}             set of live instance ids
 *   chat:{rooms}:index           sorted set of the rooms with someone in them, all scores 0 (pages by name)
 *   chat:{rooms}:counts          hash room -> "<version> <users>" (a room that emptied keeps "<version> 0" a minute)
 *   chat:{rooms}:gone            sorted set room -> ms it emptied, to drop those markers
 */
export const RoomsKeys = {
  roomSessions: (room: string): string => `chat:{r:${room}}:sessions`,
  roomUsers: (room: string): string => `chat:{r:${room}}:users`,
  roomVersion: (room: string): string => `chat:{r:${room}}:version`,
  roomAccess: (room: string): string => `chat:{r:${room}}:access`,
  roomOps: (room: string): string => `chat:{r:${room}}:ops`,
  roomInvites: (room: string): string => `chat:{r:${room}}:invites`,
  roomBans: (room: string): string => `chat:{r:${room}}:bans`,
  roomMembers: (room: string): string => `chat:{r:${room}}:members`,
  userSessions: (user: string): string => `chat:{u:${user}}:sessions`,
  roomsCreated: (user: string): string => `chat:{u:${user}}:rooms-created`,
  addressSessions: (address: string): string => `chat:{a:${address}}:sessions`,
  instanceSessions: (instance: string): string =>
    `chat:{i:${instance}}:sessions`,
  instanceAlive: (instance: string): string => `chat:{i:${instance}}:alive`,
  instanceReaped: (instance: string): string => `chat:{i:${instance}}:reaped`,
  instances: 'chat:{instances}',
  roomsIndex: 'chat:{rooms}:index',
  roomsCounts: 'chat:{rooms}:counts',
  roomsGone: 'chat:{rooms}:gone',
} as const;
