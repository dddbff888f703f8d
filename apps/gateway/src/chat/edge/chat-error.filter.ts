import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';

import { CLOSE_UNAUTHORIZED, ErrorCode } from '@app/protocol';
import { isRedisOutOfMemory, STORE_FULL_MESSAGE } from '@app/redis';

import { MetricsService } from '../../metrics/metrics.service';

import { ChatError } from '../chat-error';
import { ChatSocket } from './chat-ws.adapter';
import { errorFrame, refOf } from '../delivery/frames';

/**
 * The one place a failed frame becomes the contract's `error` frame, with the frame's `ref`. An expired
 * login also closes the socket with 4401. Anything but a `ChatError` is a bug or an outage: logged, and
 * the user gets `INTERNAL`.
 */
@Catch()
export class ChatErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ChatErrorFilter.name);

  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const session = ws.getClient<ChatSocket>().session;
    const [code, message] = this.describe(exception);
    session?.send(errorFrame(code, message, refOf(ws.getData())));
    if (code === ErrorCode.Unauthorized)
      session?.close(CLOSE_UNAUTHORIZED, 'Login expired');
  }

  private describe(exception: unknown): [ErrorCode, string] {
    if (exception instanceof ChatError)
      return [exception.code, exception.message];
    this.metrics.redisError();
    if (isRedisOutOfMemory(exception)) {
      this.logger.warn(`Refused: ${(exception as Error).message}`);
      return [ErrorCode.Internal, STORE_FULL_MESSAGE];
    }
    this.logger.error(
      exception instanceof Error
        ? (exception.stack ?? exception.message)
        : String(exception),
    );
    return [
      ErrorCode.Internal,
      'The server could not complete this request (the chat store may be unreachable); try again shortly',
    ];
  }
}
