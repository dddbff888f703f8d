import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GapFill } from './gap-fill';

describe(GapFill.name, () => {
  it('reads its source once, only as far as the fastest reader came, and gives every reader all of it', async () => {
    let read = 0;
    const sut = new GapFill(
      (async function* () {
        for (let i = 1; i <= 3; i++) {
          read = i;
          yield i;
        }
      })(),
    );
    const fast = sut.reader();
    const slow = sut.reader();
    assert.deepEqual(await fast.next(), { done: false, value: 1 });
    assert.deepEqual(await fast.next(), { done: false, value: 2 });
    assert.equal(read, 2);
    const all: number[] = [];
    for await (const item of slow) all.push(item);
    assert.deepEqual(all, [1, 2, 3]);
    assert.deepEqual(await fast.next(), { done: false, value: 3 });
    assert.equal((await fast.next()).done, true);
    assert.equal(read, 3);
  });

  it('ends for every reader when its source fails', async () => {
    const sut = new GapFill(
      (async function* () {
        yield 1;
        throw new Error('the store went away');
      })(),
    );
    const all: number[] = [];
    for await (const item of sut.reader()) all.push(item);
    for await (const item of sut.reader()) all.push(item);
    assert.deepEqual(all, [1, 1]);
  });
});
