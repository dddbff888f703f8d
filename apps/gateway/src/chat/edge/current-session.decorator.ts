import { createParamDecorator, ExecutionContext } from '@nestjs/common';

import { ChatSocket } from './chat-ws.adapter';

/** The handler's `ChatSession` (the adapter attaches it at the upgrade; `SessionGuard` made sure it is there). */
export const CurrentSession = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext) =>
    ctx.switchToWs().getClient<ChatSocket>().session,
);
