import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ChatSession } from './chat-session';

const make = () => {
  const sent: string[] = [];
  const sut = new ChatSession(
    's1',
    'ann',
    { sub: 'ann', iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: 'j' },
    { send: (frame) => sent.push(String(frame)), close: () => undefined },
  );
  return { sut, sent };
};

describe(ChatSession.name, () => {
  it('holds live frames until released, then passes them in order and drops repeated ids', () => {
    const { sut, sent } = make();
    sut.deliver('a', '0002', 'global');
    sut.deliver('p', undefined, 'global');
    assert.deepEqual(sent, []);
    sut.release();
    sut.deliver('a again', '0002', 'global');
    sut.deliver('b', '0003', 'global');
    assert.deepEqual(sent, ['a', 'p', 'b']);
  });

  it('puts a resume replay before held frames, without repeats, unread DMs or frames of the room it left', () => {
    const { sut, sent } = make();
    sut.holdUnread([{ frame: 'unread dm', id: '0004' }]);
    sut.deliver('old lobby', '0005', 'global');
    sut.deliver('covered', '0003', 'r1');
    sut.deliver('newer', '0007', 'r1');
    sut.room = 'r1';
    const count = sut.release([
      { frame: 'r1 a', id: '0002' },
      { frame: 'covered', id: '0003' },
      { frame: 'unread dm', id: '0004' },
    ]);
    assert.deepEqual(sent, ['r1 a', 'covered', 'unread dm', 'newer']);
    assert.equal(count, 3);
    assert.equal(sut.holding, false);
    assert.equal(sut.release(), 0);
  });

  it('shows unread DMs first when released without a resume, and never their live copies again', () => {
    const { sut, sent } = make();
    sut.deliver('held copy', '0004');
    sut.deliver('room', '0005', 'global');
    sut.holdUnread([
      { frame: 'unread 3', id: '0003' },
      { frame: 'unread 4', id: '0004' },
      { frame: 'unread 6', id: '0006' },
    ]);
    sut.release();
    sut.deliver('late copy', '0006');
    sut.deliver('next', '0008', 'global');
    assert.deepEqual(sent, [
      'unread 3',
      'unread 4',
      'unread 6',
      'room',
      'next',
    ]);
  });

  it('drops the frames still queued when it ends, and runs its exit right after the one in progress', async () => {
    const { sut } = make();
    const ran: string[] = [];
    let finishFirst = (): void => undefined;
    void sut.enqueue(
      () =>
        new Promise<void>((resolve) => {
          ran.push('first');
          finishFirst = resolve;
        }),
    );
    for (let i = 0; i < 3; i++)
      void sut.enqueue(async () => void ran.push(`queued ${i}`));
    await Promise.resolve();
    const exit = sut.finish(async () => void ran.push('exit'));
    void sut.enqueue(async () => void ran.push('late'));
    assert.equal(sut.ended, true);
    finishFirst();
    await exit;
    assert.deepEqual(ran, ['first', 'exit']);
  });
});
