import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutionContext } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';

import { ChatError } from '../chat-error';
import { ChatSession } from '../delivery/chat-session';
import { SessionGuard } from './session.guard';
import { fakeLink } from '../delivery/session-link.fake';

const contextOf = (session?: ChatSession): ExecutionContext =>
  ({
    switchToWs: () => ({ getClient: () => ({ session }) }),
  }) as unknown as ExecutionContext;

const sessionExpiringAt = (exp: number): ChatSession =>
  new ChatSession(
    's1',
    'ann',
    { sub: 'ann', iat: 0, exp, jti: 'j' },
    fakeLink(),
  );

const fails = (run: () => unknown, code: ErrorCode): void => {
  assert.throws(
    run,
    (err: unknown) => err instanceof ChatError && err.code === code,
  );
};

describe(SessionGuard.name, () => {
  const sut = new SessionGuard();

  it('lets a live session through', () => {
    const live = contextOf(sessionExpiringAt(Number.MAX_SAFE_INTEGER));
    assert.equal(sut.canActivate(live), true);
  });

  it('answers UNAUTHORIZED for an expired login or a socket without a session', () => {
    fails(
      () => sut.canActivate(contextOf(sessionExpiringAt(1))),
      ErrorCode.Unauthorized,
    );
    fails(() => sut.canActivate(contextOf(undefined)), ErrorCode.Unauthorized);
  });
});
