import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_CID_LENGTH } from '@app/protocol';

import { ClientIds } from './client-ids';

describe(ClientIds.name, () => {
  it('counts up behind a prefix that differs between runs', () => {
    const sut = new ClientIds('abc');
    assert.deepEqual([sut.next(), sut.next()], ['abc-1', 'abc-2']);
    assert.notEqual(new ClientIds().next(), new ClientIds().next());
  });

  it('fits the protocol limit', () => {
    assert.ok(new ClientIds().next().length <= MAX_CID_LENGTH);
  });
});
