import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { publicUrl } from './public-url';

describe(publicUrl.name, () => {
  it('uses PUBLIC_URL when set', () => {
    const sut = publicUrl(
      { HOST: '0.0.0.0', PUBLIC_URL: 'https://chat1.example.com' },
      8000,
    );
    assert.equal(sut, 'https://chat1.example.com');
  });

  it('defaults to the host and the port actually bound, loopback for an unspecified host', () => {
    assert.equal(
      publicUrl({ HOST: '0.0.0.0' }, 8081),
      'https://127.0.0.1:8081',
    );
    assert.equal(publicUrl({ HOST: '::' }, 8000), 'https://[::1]:8000');
    assert.equal(publicUrl({ HOST: 'chat.lan' }, 443), 'https://chat.lan:443');
    assert.equal(publicUrl({ HOST: 'fe80::1' }, 9), 'https://[fe80::1]:9');
  });
});
