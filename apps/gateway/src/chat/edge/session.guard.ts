import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';

import { ChatError } from '../chat-error';
import { ChatSocket } from './chat-ws.adapter';

/**
 * Runs before every frame's handler: the session must exist and its login must not have expired
 * (`UNAUTHORIZED`, then the filter closes the socket with 4401). The frame rate is judged earlier, as the
 * frame arrives (`FloodGuard` in the adapter); messages are also limited per user, in `claim.lua`.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const session = context.switchToWs().getClient<ChatSocket>().session;
    if (!session)
      throw new ChatError(
        ErrorCode.Unauthorized,
        'This socket has no session: log in and connect again',
      );
    if (Date.now() >= session.expiresAt)
      throw new ChatError(
        ErrorCode.Unauthorized,
        'Your login has expired: log in again',
      );
    return true;
  }
}
