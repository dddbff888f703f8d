import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';

import { coalesceWrites } from './write-coalescing';

/** A socket stand-in that records each system call's worth of writes (one `_writev` or `_write`). */
const recorder = () => {
  const calls: string[][] = [];
  const sut = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    },
  });
  return { sut, calls };
};

describe(coalesceWrites.name, () => {
  it('sends the writes of one turn of the event loop in one call, in order, at the end of the turn', async () => {
    const { sut, calls } = recorder();
    coalesceWrites(sut);
    sut.write('a');
    sut.write('b');
    sut.write('c');
    assert.deepEqual(calls, [], 'nothing leaves before the turn ends');
    await turn();
    sut.write('d');
    await turn();
    assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
  });

  it('keeps an inner cork (cork, write, write, uncork) and flushes on end', async () => {
    const { sut, calls } = recorder();
    coalesceWrites(sut);
    coalesceWrites(sut);
    sut.cork();
    sut.write('head');
    sut.write('body');
    sut.uncork();
    sut.write('next');
    await turn();
    sut.write('last');
    sut.end();
    await turn();
    assert.deepEqual(calls, [['head', 'body', 'next'], ['last']]);
  });
});
