import { ErrorCode } from '@app/protocol';

/** A failure the user is told about in an `error` frame. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
