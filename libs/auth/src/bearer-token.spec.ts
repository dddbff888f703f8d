import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bearerToken } from './bearer-token';

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

  it('falls back to ?token= only when given the URL', () => {
    assert.equal(bearerToken({}, '/ws?token=abc'), 'abc');
    assert.equal(
      bearerToken({ authorization: 'Bearer hdr' }, '/ws?token=abc'),
      'hdr',
    );
    assert.equal(bearerToken({}, '/ws?token='), undefined);
    assert.equal(bearerToken({}, '/ws'), undefined);
  });
});
