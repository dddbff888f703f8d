import { ErrorCode, ErrorPayload, Ref, ServerEvent } from '@app/protocol';

export const serverFrame = (event: ServerEvent, data: object): string => JSON.stringify({ event, data });

export const errorFrame = (code: ErrorCode, message: string, ref?: Ref): string =>
  serverFrame(ServerEvent.Error, { ...(ref !== undefined && { ref }), code, message } satisfies ErrorPayload);

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
