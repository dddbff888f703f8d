import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 or 503 that tells the client when to try again (the HTTP layer sends it as `Retry-After`). */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    readonly retryAfterSeconds: number,
  ) {
    super(message, status);
  }
}
