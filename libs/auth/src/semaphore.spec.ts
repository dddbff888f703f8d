import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { QueueFullError, Semaphore } from './semaphore';

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe(Semaphore.name, () => {
  it('runs at most `limit` tasks at once, queues up to `queueLimit` in order, and refuses the rest', async () => {
    const sut = new Semaphore(2, 2);
    const gates = Array.from({ length: 4 }, deferred);
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      sut.run(async () => (started.push(i), await gate.promise, i)),
    );
    await assert.rejects(
      sut.run(async () => 'too many'),
      QueueFullError,
    );
    await Promise.resolve();
    assert.deepEqual(started, [0, 1]);
    assert.equal(sut.pending, 4);

    gates[1].resolve();
    await runs[1];
    await Promise.resolve();
    assert.deepEqual(
      started,
      [0, 1, 2],
      'the first waiter takes the freed slot',
    );
    gates.forEach((gate) => gate.resolve());
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
    assert.equal(sut.pending, 0);
  });

  it('frees the slot of a task that fails', async () => {
    const sut = new Semaphore(1, 0);
    await assert.rejects(
      sut.run(async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await sut.run(async () => 'next'), 'next');
  });
});
