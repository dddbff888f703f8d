import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DmSeenWriter } from './dm-seen-writer';

describe(DmSeenWriter.name, () => {
  it('writes at once when idle, then only the highest id noted while a write was in flight', async () => {
    const writes: string[] = [];
    let finish!: () => void;
    const sut = new DmSeenWriter(async (user, id) => {
      writes.push(`${user} ${id}`);
      if (writes.length === 1)
        await new Promise<void>((resolve) => (finish = resolve));
    });
    sut.note('ann', '0001');
    sut.note('ann', '0003');
    sut.note('ann', '0002');
    sut.note('bob', '0005');
    finish();
    await sut.settled('ann');
    await sut.settled('bob');
    assert.deepEqual(writes, ['ann 0001', 'bob 0005', 'ann 0003']);
  });

  it('keeps going after a failed write (those DMs then stay unread)', async () => {
    const writes: string[] = [];
    const sut = new DmSeenWriter(async (_user, id) => {
      writes.push(id);
      if (id === '0001') throw new Error('store unreachable');
    });
    sut.note('ann', '0001');
    await sut.settled('ann');
    sut.note('ann', '0002');
    await sut.settled('ann');
    assert.deepEqual(writes, ['0001', '0002']);
  });
});
