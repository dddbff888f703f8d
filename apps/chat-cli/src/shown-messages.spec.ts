import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ShownMessages } from './shown-messages';

describe(ShownMessages.name, () => {
  const id = (n: number): string => String(n).padStart(16, '0');

  it('says yes only the first time an id of a stream is offered; equal ids of other streams are other messages', () => {
    const sut = new ShownMessages();
    assert.equal(sut.firstSight('room:a', id(1)), true);
    assert.equal(sut.firstSight('room:a', id(1)), false);
    assert.equal(sut.firstSight('dm', id(1)), true);
    assert.equal(sut.has('room:a', id(1)), true);
    assert.equal(sut.has('room:a', id(2)), false);
  });

  it('keeps a cursor per stream at its newest live id, whatever order ids arrive in', () => {
    const sut = new ShownMessages();
    assert.equal(sut.cursors, undefined);
    sut.firstSight('room:a', id(9));
    sut.firstSight('room:a', id(10));
    sut.firstSight('room:a', id(8));
    sut.firstSight('dm', id(3));
    assert.deepEqual(sut.cursors, { 'room:a': id(10), dm: id(3) });
  });

  it('does not move a cursor for ids read from a reply', () => {
    const sut = new ShownMessages();
    sut.firstSight('dm', id(5));
    sut.firstSight('dm', id(12), false);
    assert.deepEqual(sut.cursors, { dm: id(5) });
    assert.equal(
      sut.firstSight('dm', id(12)),
      false,
      'a replayed copy of the reply is still a repeat',
    );
  });

  it('takes the server’s cursors for new streams, and raises a known one only on entering a room', () => {
    const sut = new ShownMessages();
    sut.firstSight('room:a', id(5));
    sut.noteCursors({ 'room:a': id(9), dm: id(2) });
    assert.deepEqual(sut.cursors, { 'room:a': id(5), dm: id(2) });
    sut.noteCursors({ 'room:a': id(9) }, true);
    assert.deepEqual(sut.cursors, { 'room:a': id(9), dm: id(2) });
  });

  it('keeps the oldest id shown per room or conversation, until the thread starts afresh', () => {
    const sut = new ShownMessages();
    sut.noteIn('#room1', id(30));
    sut.noteIn('#room1', id(20));
    sut.noteIn('#room1', id(40));
    sut.noteIn('@b', id(25));
    assert.equal(sut.oldestIn('#room1'), id(20));
    assert.equal(sut.oldestIn('@b'), id(25));
    sut.forget('#room1');
    assert.equal(sut.oldestIn('#room1'), undefined);
  });

  it('remembers a bounded number of ids', () => {
    const sut = new ShownMessages();
    for (let n = 1; n <= 5001; n++) sut.firstSight('room:a', id(n));
    assert.equal(sut.has('room:a', id(1)), false);
    assert.equal(sut.has('room:a', id(5001)), true);
  });
});
