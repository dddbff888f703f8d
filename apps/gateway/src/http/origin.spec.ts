import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isOriginAllowed } from './origin';

describe(isOriginAllowed.name, () => {
  const allowed = ['https://chat.example.com', 'http://localhost:3000'];

  it('allows requests without Origin (chat-cli, curl)', () => {
    assert.equal(isOriginAllowed(undefined, []), true);
  });

  it('allows listed origins, ignoring case and default ports', () => {
    assert.equal(isOriginAllowed('https://chat.example.com', allowed), true);
    assert.equal(
      isOriginAllowed('HTTPS://Chat.Example.com:443', allowed),
      true,
    );
    assert.equal(isOriginAllowed('http://localhost:3000', allowed), true);
  });

  it("allows the gateway's own origin, as reached through its Host", () => {
    assert.equal(
      isOriginAllowed('https://localhost:8000', [], 'localhost:8000'),
      true,
    );
    assert.equal(
      isOriginAllowed('https://gw.example.com', [], 'gw.example.com:443'),
      true,
    );
    assert.equal(
      isOriginAllowed('http://localhost:8000', [], 'localhost:8000'),
      false,
      'the gateway speaks only https',
    );
  });

  it('refuses every other origin, "null" and garbage', () => {
    assert.equal(
      isOriginAllowed('https://evil.example', allowed, 'localhost:8000'),
      false,
    );
    assert.equal(
      isOriginAllowed('https://chat.example.com.evil.example', allowed),
      false,
    );
    assert.equal(isOriginAllowed('http://chat.example.com', allowed), false);
    assert.equal(isOriginAllowed('null', allowed), false);
    assert.equal(isOriginAllowed('not an origin', allowed), false);
    assert.equal(isOriginAllowed('https://localhost:8000', []), false);
  });
});
