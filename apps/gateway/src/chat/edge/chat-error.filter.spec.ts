import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ArgumentsHost, ConsoleLogger, Logger } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';

import { MetricsService } from '../../metrics/metrics.service';

import { ChatError } from '../chat-error';
import { ChatErrorFilter } from './chat-error.filter';
import { ChatSession } from '../delivery/chat-session';
import { fakeLink } from '../delivery/session-link.fake';

const run = (
  exception: unknown,
  data: unknown,
): { frames: Array<Record<string, any>>; closed: number[] } => {
  const frames: Array<Record<string, any>> = [];
  const closed: number[] = [];
  const session = new ChatSession(
    's1',
    'ann',
    { sub: 'ann', iat: 0, exp: 1, jti: 'j' },
    fakeLink(
      (f) => frames.push(JSON.parse(String(f))),
      (code) => closed.push(code),
    ),
  );
  const host = {
    switchToWs: () => ({ getClient: () => ({ session }), getData: () => data }),
  } as unknown as ArgumentsHost;
  new ChatErrorFilter(new MetricsService()).catch(exception, host);
  return { frames, closed };
};

describe(ChatErrorFilter.name, () => {
  it('answers a ChatError with its code, message and the frame’s ref', () => {
    const { frames, closed } = run(
      new ChatError(ErrorCode.NotFound, 'User "x" does not exist'),
      { ref: 'r1' },
    );
    assert.deepEqual(frames, [
      {
        event: 'error',
        data: {
          ref: 'r1',
          code: 'NOT_FOUND',
          message: 'User "x" does not exist',
        },
      },
    ]);
    assert.deepEqual(closed, []);
  });

  it('closes the socket with 4401 after UNAUTHORIZED', () => {
    assert.deepEqual(
      run(new ChatError(ErrorCode.Unauthorized, 'expired'), {}).closed,
      [4401],
    );
  });

  after(() => Logger.overrideLogger(new ConsoleLogger()));

  it('answers anything else with INTERNAL, logs it, and drops a ref that is not valid', () => {
    // Captured rather than printed: a passing test shows no stack trace.
    const logged: string[] = [];
    const quiet = (): void => undefined;
    Logger.overrideLogger({
      log: quiet,
      warn: quiet,
      error: (message: unknown) => logged.push(String(message)),
    });
    const { frames } = run(new Error('boom'), { ref: { nested: true } });
    assert.equal(frames[0].data.code, 'INTERNAL');
    assert.equal(frames[0].data.ref, undefined);
    assert.match(logged[0] ?? '', /^Error: boom\n/);
  });
});
