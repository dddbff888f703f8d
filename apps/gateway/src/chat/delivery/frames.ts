import { ErrorCode, ErrorPayload, Ref, ServerEvent } from '@app/protocol';
import { Stored } from '@app/pubsub';

import { isRef } from '../edge/frame-schema';

import type { Replayed } from './chat-session';

export const serverFrame = (event: ServerEvent, data: object): string =>
  JSON.stringify({ event, data });

/** A bus event's frame as UTF-8 bytes, encoded once for all its recipients. */
export const eventFrame = (event: ServerEvent, data: object): Buffer =>
  Buffer.from(serverFrame(event, data));

/**
 * A stored message of `stream` as the frame a reader would have received live (a follow copy marked
 * `via`, and the private room's `readers` kept beside the frame), for a replay or a gap fill; encoded
 * once for all its readers.
 */
export function replayed(message: Stored, stream: string): Replayed {
  if (!('room' in message))
    return {
      frame: eventFrame(ServerEvent.Dm, message),
      stream,
      id: message.id,
      dm: true,
    };
  if ('action' in message)
    return {
      frame: eventFrame(ServerEvent.Notice, message),
      stream,
      id: message.id,
    };
  if (!stream.startsWith('said:'))
    return {
      frame: eventFrame(ServerEvent.Message, message),
      stream,
      id: message.id,
    };
  const { readers, ...copy } = message;
  return {
    frame: eventFrame(ServerEvent.Message, { ...copy, via: 'subscription' }),
    stream,
    id: message.id,
    room: message.room,
    ...(readers && { readers }),
  };
}

export const errorFrame = (
  code: ErrorCode,
  message: string,
  ref?: Ref,
): string =>
  serverFrame(ServerEvent.Error, {
    ...(ref !== undefined && { ref }),
    code,
    message,
  } satisfies ErrorPayload);

export const isPlainObject = (
  value: unknown,
): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A frame's `ref`, when its `data` carries a valid one: the one way every error finds it. */
export const refOf = (data: unknown): Ref | undefined =>
  isPlainObject(data) && isRef(data.ref) ? data.ref : undefined;
