import { ErrorCode, ErrorPayload, Ref, ServerEvent } from '@app/protocol';

import { isRef } from '../edge/frame-schema';

export const serverFrame = (event: ServerEvent, data: object): string =>
  JSON.stringify({ event, data });

/** A bus event's frame as UTF-8 bytes, encoded once for all its recipients. */
export const eventFrame = (event: ServerEvent, data: object): Buffer =>
  Buffer.from(serverFrame(event, data));

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
