/**
 * Kinds of bus events: each event's body opens with its kind (`{"k":"message",...}`), and the transport
 * hands it to the `@EventPattern` handler of that name. The channels are in `BusChannels`.
 */
export enum BusPattern {
  /** Per-user control (kick, ban, account disabled), on the user's channel. */
  Control = 'control',
  Dm = 'dm',
  Follow = 'follow',
  Message = 'message',
  /** A moderation notice stored in a room's stream. */
  Notice = 'notice',
  Presence = 'presence',
  Probe = 'probe',
  Said = 'said',
}
