/**
 * Names of the bus's shard channels (SPUBLISH / SSUBSCRIBE). Each carries a hash tag, so a channel lives
 * in the slot of the keys it reports on and a store script can SPUBLISH it in the same atomic step:
 *
 *   bus:{r:<room>}        a room's events: messages, presence, room notices
 *   bus:{u:<user>}        events for the user's sessions: DMs (each copy as stored in the user's inbox),
 *                         follow changes, per-user control (kick, disable)
 *   bus:{u:<user>}:said   follow copies of what <user> says in rooms
 *   bus:{probe:<n>}       probes; n is picked so that every master serves one (see `BusProbes`)
 */
export const BusChannels = {
  room: (room: string): string => `bus:{r:${room}}`,
  user: (user: string): string => `bus:{u:${user}}`,
  said: (user: string): string => `bus:{u:${user}}:said`,
  probe: (n: number): string => `bus:{probe:${n}}`,
} as const;
