/**
 * The sharded pub/sub channels of the chat bus (SPUBLISH / SSUBSCRIBE, on a standalone Redis 7 too). Each
 * channel carries the hash tag of the keys its events are stored under, so a store script publishes on
 * its own slot's shard. The body is the event's JSON with its kind first: `{"k":"message",...}`.
 */
export const BusChannels = {
  /** A room's events: messages, presence, room notices. */
  room: (room: string): string => `bus:{r:${room}}`,
  /** Events for one user's sessions: their inbox copies of DMs, follow changes, per-user control. */
  user: (user: string): string => `bus:{u:${user}}`,
  /** Follow copies of what `user` says in rooms. */
  said: (user: string): string => `bus:{u:${user}}:said`,
  /** One probe channel per shard. */
  probe: (n: number): string => `bus:{probe:${n}}`,
} as const;
