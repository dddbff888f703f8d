import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SettingsError, validateSettings } from './settings';

describe(validateSettings.name, () => {
  it('fills every default and converts numbers', () => {
    const sut = validateSettings({ PORT: '8081' });
    assert.equal(sut.PORT, 8081);
    assert.equal(sut.HOST, '0.0.0.0');
    assert.equal(sut.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(sut.JWT_TTL_SECONDS, 43200);
    assert.equal(sut.WS_MAX_FRAME_BYTES, 65536);
    assert.equal(sut.CHAT_ADMIN_TOKEN, undefined);
  });

  it('names each bad setting and what it accepts', () => {
    assert.throws(
      () => validateSettings({ PORT: '70000', REDIS_URL: 'localhost:6379', CHAT_ADMIN_TOKEN: 'short' }),
      (err: Error) =>
        err instanceof SettingsError &&
        /PORT="70000" must be an integer from 0 to 65535/.test(err.message) &&
        /REDIS_URL="localhost:6379" must be a redis:\/\//.test(err.message) &&
        /CHAT_ADMIN_TOKEN="short" must be at least 16 characters/.test(err.message),
    );
    assert.throws(() => validateSettings({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    assert.throws(() => validateSettings({ RATE_LIMIT_BURST: '1.5' }), /RATE_LIMIT_BURST/);
  });
});
