/**
 * The kinds of bus events: each is the `"k"` of an event's body and the `@EventPattern` it is routed to.
 * Canary keeps its own plain pub/sub channel (written as a JSON object because Nest's Redis server
 * JSON-parses every channel name it receives).
 */
export enum BusPattern {
  Canary = '{"chat":"canary"}',
  Dm = 'dm',
  Follow = 'follow',
  Message = 'message',
  Presence = 'presence',
  Said = 'said',
}
