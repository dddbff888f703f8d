import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bearerToken, upgradeCredential } from './bearer-token';

describe(bearerToken.name, () => {
  it('reads the Authorization header, whatever the case of "Bearer"', () => {
    assert.equal(bearerToken({ authorization: 'Bearer abc.def' }), 'abc.def');
    assert.equal(bearerToken({ authorization: 'bearer abc.def ' }), 'abc.def');
    assert.equal(
      bearerToken({ authorization: 'Basic dXNlcjpwdw==' }),
      undefined,
    );
    assert.equal(bearerToken({ authorization: 'Bearer ' }), undefined);
    assert.equal(bearerToken({}), undefined);
  });
});

describe(upgradeCredential.name, () => {
  it('prefers the Authorization header', () => {
    assert.deepEqual(
      upgradeCredential({ authorization: 'Bearer hdr' }, '/ws?ticket=t'),
      { kind: 'token', token: 'hdr' },
    );
  });

  it('takes a ?ticket=, and names a ?token= without taking it', () => {
    assert.deepEqual(upgradeCredential({}, '/ws?ticket=abc'), {
      kind: 'ticket',
      ticket: 'abc',
    });
    assert.deepEqual(upgradeCredential({}, '/ws?token=abc'), {
      kind: 'url-token',
    });
    assert.deepEqual(upgradeCredential({}, '/ws?ticket='), { kind: 'none' });
    assert.deepEqual(upgradeCredential({}, '/ws'), { kind: 'none' });
  });
});
