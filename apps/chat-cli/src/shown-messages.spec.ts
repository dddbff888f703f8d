import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ShownMessages } from './shown-messages';

describe(ShownMessages.name, () => {
  const id = (n: number): string => String(n).padStart(16, '0');

  it('says yes only the first time an id is offered', () => {
    const sut = new ShownMessages();
    assert.equal(sut.firstSight(id(1)), true);
    assert.equal(sut.firstSight(id(1)), false);
    assert.equal(sut.has(id(1)), true);
    assert.equal(sut.has(id(2)), false);
  });

  it('resumes from the newest live id, whatever order ids arrive in', () => {
    const sut = new ShownMessages();
    assert.equal(sut.since, undefined);
    sut.firstSight(id(9));
    sut.firstSight(id(10));
    sut.firstSight(id(8));
    assert.equal(sut.since, id(10));
  });

  it('does not move the resume point for ids read from a reply', () => {
    const sut = new ShownMessages();
    sut.firstSight(id(5));
    sut.firstSight(id(12), false);
    assert.equal(sut.since, id(5));
    assert.equal(
      sut.firstSight(id(12)),
      false,
      'a replayed copy of the reply is still a repeat',
    );
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
    for (let n = 1; n <= 5001; n++) sut.firstSight(id(n));
    assert.equal(sut.has(id(1)), false);
    assert.equal(sut.has(id(5001)), true);
  });
});
