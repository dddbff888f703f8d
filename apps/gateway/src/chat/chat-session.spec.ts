import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ChatSession } from './chat-session';

const make = () => {
  const sent: string[] = [];
  const sut = new ChatSession('s1', 'ann', { sub: 'ann', iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: 'j' }, { send: (frame) => sent.push(frame), close: () => undefined });
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

  it('puts a resume replay before held frames, without repeats, shown DMs or frames of the room it left', () => {
    const { sut, sent } = make();
    sut.shown.add('0001');
    sut.deliver('old lobby', '0005', 'global');
    sut.deliver('covered', '0003', 'r1');
    sut.deliver('newer', '0007', 'r1');
    sut.room = 'r1';
    const count = sut.release([
      { frame: 'dm shown at login', id: '0001' },
      { frame: 'r1 a', id: '0002' },
      { frame: 'covered', id: '0003' },
    ]);
    assert.deepEqual(sent, ['r1 a', 'covered', 'newer']);
    assert.equal(count, 2);
    assert.equal(sut.holding, false);
  });
});
