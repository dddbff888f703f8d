import { ErrorCode, ErrorPayload, Ref, ServerEvent } from '@app/protocol';
import { Stored } from '@app/pubsub';

import { isRef } from '../edge/frame-schema';

import type { Replayed } from './chat-session';

export const serverFrame = (event: ServerEvent, data: object): string =>
  JSON.stringify({ event, data });

/**
 * A bus event's frame, encoded once for all its recipients: the whole WebSocket text frame (RFC 6455 §5.2:
 * final, unmasked, as every server frame is), so each recipient's socket gets the same bytes in one write.
 * `toString()` is the JSON it carries.
 */
export class EventFrame {
  readonly wire: Buffer;
  private readonly header: number;

  constructor(json: string) {
    const length = Buffer.byteLength(json);
    this.header = length < 126 ? 2 : length < 65536 ? 4 : 10;
    this.wire = Buffer.allocUnsafe(this.header + length);
    this.wire[0] = 0x81; // FIN, text
    if (this.header === 2) this.wire[1] = length;
    else if (this.header === 4) {
      this.wire[1] = 126;
      this.wire.writeUInt16BE(length, 2);
    } else {
      this.wire[1] = 127;
      this.wire.writeBigUInt64BE(BigInt(length), 2);
    }
    this.wire.write(json, this.header);
  }

  /** The JSON's UTF-8 bytes (a view, no copy). */
  get text(): Buffer {
    return this.wire.subarray(this.header);
  }

  /** The length of `text`. */
  get byteLength(): number {
    return this.wire.length - this.header;
  }

  toString(): string {
    return this.wire.toString('utf8', this.header);
  }
}

export const eventFrame = (event: ServerEvent, data: object): EventFrame =>
  new EventFrame(serverFrame(event, data));

/** The bytes of a frame's text, as its client reads them. */
export const frameBytes = (frame: string | EventFrame): number =>
  typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;

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
