import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { securityHeaders } from './web-page';

describe(securityHeaders.name, () => {
  it('lets the page connect only to its own origin by default', () => {
    const csp = securityHeaders()['Content-Security-Policy'];
    assert.match(csp, /connect-src 'self';/);
    assert.match(csp, /script-src 'self';/);
  });

  it('lets the page fail over to the ALLOWED_ORIGINS, over HTTPS and WSS', () => {
    const csp = securityHeaders(['https://chat.example.com:8081'])[
      'Content-Security-Policy'
    ];
    assert.match(
      csp,
      /connect-src 'self' https:\/\/chat\.example\.com:8081 wss:\/\/chat\.example\.com:8081;/,
    );
  });
});
