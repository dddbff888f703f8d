import { ChatMessage } from './payloads';

/**
 * The WebSocket subprotocol a client must offer: the version of this contract. An upgrade without it
 * is refused with 426 (the v1 clients resumed with one global `since`, which v2 no longer has).
 */
export const PROTOCOL = 'securechat.v2';

/** The cursors a client holds: each stream it reads (`room:<room>`, `dm`, `said:<user>`) and the last id it got of it. */
export type Cursors = Record<string, string>;

/** The stream a `message` frame belongs to: its room's, or for a follow copy (`via`) its sender's said stream. */
export function messageStream(
  message: Pick<ChatMessage, 'room' | 'from' | 'via'>,
): string {
  return message.via ? `said:${message.from}` : `room:${message.room}`;
}

/** The stream every `dm` frame belongs to: the user's own inbox. */
export const DM_STREAM = 'dm';

/** Raises `cursors[stream]` to `id` (never lowers it: ids of one stream rise). */
export function advanceCursor(
  cursors: Cursors,
  stream: string,
  id: string,
): void {
  const last = cursors[stream];
  if (last === undefined || id > last) cursors[stream] = id;
}
