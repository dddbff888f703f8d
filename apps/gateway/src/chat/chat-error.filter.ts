import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';

import { MetricsService } from '../metrics/metrics.service';

import { ChatError } from './chat-error';
import { ChatSocket } from './chat-ws.adapter';
import { errorFrame, isPlainObject } from './frames';
import { isRef } from './dto/ref.dto';

/** Turns every failure of a frame's handler into the contract's `error` frame, with the frame's `ref`. */
@Catch()
export class ChatErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ChatErrorFilter.name);

  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const data: unknown = ws.getData();
    const ref = isPlainObject(data) && isRef(data.ref) ? data.ref : undefined;
    const [code, message] = this.describe(exception);
    ws.getClient<ChatSocket>().session?.send(errorFrame(code, message, ref));
  }

  private describe(exception: unknown): [ErrorCode, string] {
    if (exception instanceof ChatError) return [exception.code, exception.message];
    this.metrics.redisError();
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return [ErrorCode.Internal, 'The server could not complete this request (the chat store may be unreachable); try again shortly'];
  }
}
