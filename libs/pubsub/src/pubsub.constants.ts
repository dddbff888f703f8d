/**
 * Kinds of bus events: each event's body opens with its kind (`{"k":"message",...}`), and the transport
 * hands it to the `@EventPattern` handler of that name. The channels are in `BusChannels`.
 */
export enum BusPattern {
  Dm = 'dm',
  Follow = 'follow',
  Message = 'message',
  Presence = 'presence',
  Probe = 'probe',
  Said = 'said',
}
