import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Live, StreamHold } from './stream-hold';

const live = (frame: string, stream?: string, room?: string): Live => ({
  frame,
  stream,
  room,
});
const frames = (lives: Live[]): string[] => lives.map((l) => String(l.frame));

describe(StreamHold.name, () => {
  it('holds everything until the start ends, then frees it in arrival order, but frames of a room left', () => {
    const sut = new StreamHold(1000);
    assert.equal(sut.offer(live('a', 'room:r1', 'r1')), 'held');
    assert.equal(sut.offer(live('dm', 'dm:ann')), 'held');
    assert.equal(sut.offer(live('b', 'room:r2', 'r2')), 'held');
    assert.deepEqual(frames(sut.endStart('r2')), ['dm', 'b']);
    assert.equal(sut.offer(live('c', 'room:r2', 'r2')), 'now');
  });

  it('holds only the stream being filled, until its last fill ends', () => {
    const sut = new StreamHold(1000);
    sut.endStart('r');
    sut.startFill('room:r');
    sut.startFill('room:r');
    assert.equal(sut.offer(live('held', 'room:r', 'r')), 'held');
    assert.equal(sut.offer(live('dm', 'dm:ann')), 'now');
    assert.equal(sut.offer(live('presence', undefined, 'r')), 'now');
    assert.deepEqual(frames(sut.endFill('room:r', 'r')), []);
    assert.deepEqual(frames(sut.endFill('room:r', 'r')), ['held']);
    assert.equal(sut.offer(live('next', 'room:r', 'r')), 'now');
  });

  it('keeps a frame held by a fill when the start ends', () => {
    const sut = new StreamHold(1000);
    sut.startFill('said:bob');
    sut.offer(live('said', 'said:bob'));
    sut.offer(live('room', 'room:r', 'r'));
    assert.deepEqual(frames(sut.endStart('r')), ['room']);
    assert.deepEqual(frames(sut.endFill('said:bob', 'r')), ['said']);
  });

  it('drops what it holds once past its bound', () => {
    const sut = new StreamHold(10);
    assert.equal(sut.offer(live('12345', 'room:r', 'r')), 'held');
    assert.equal(sut.offer(live('678901', 'room:r', 'r')), 'over');
    assert.deepEqual(frames(sut.endStart('r')), []);
  });

  it('lets frames that came between two fills of a stream go out between them', () => {
    const sut = new StreamHold(1000);
    sut.endStart('r');
    sut.startFill('room:r');
    sut.offer(live('after gap 1', 'room:r', 'r'));
    sut.startFill('room:r');
    sut.offer(live('after gap 2', 'room:r', 'r'));
    assert.deepEqual(frames(sut.endFill('room:r', 'r')), ['after gap 1']);
    assert.equal(sut.offer(live('later', 'room:r', 'r')), 'held');
    assert.deepEqual(frames(sut.endFill('room:r', 'r')), [
      'after gap 2',
      'later',
    ]);
  });
});
