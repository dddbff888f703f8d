/**
 * Channels of the chat bus; every instance subscribes to all of them through the Redis transport.
 * They are written as JSON objects because Nest's Redis server JSON-parses every channel name it
 * receives: a plain name would throw (and be caught) once per event on every instance.
 */
export enum BusPattern {
  Canary = '{"chat":"canary"}',
  Dm = '{"chat":"dm"}',
  Follow = '{"chat":"follow"}',
  Message = '{"chat":"message"}',
  Presence = '{"chat":"presence"}',
}
