import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { redactRedisUrl, redisOptionsFromUrl } from './redis-options';

describe(redisOptionsFromUrl.name, () => {
  it('reads host, port, credentials, database and TLS from the URL', () => {
    assert.deepEqual(redisOptionsFromUrl('redis://127.0.0.1:6380'), {
      host: '127.0.0.1',
      port: 6380,
      db: 0,
    });
    assert.deepEqual(
      redisOptionsFromUrl('rediss://user:p%40ss@cache.example:6390/2'),
      {
        host: 'cache.example',
        port: 6390,
        username: 'user',
        password: 'p@ss',
        db: 2,
        tls: {},
      },
    );
    assert.equal(redisOptionsFromUrl('redis://[::1]:6379').host, '::1');
  });

  it('never shows the password in messages', () => {
    assert.equal(
      redactRedisUrl('redis://:secret@host:1'),
      'redis://:***@host:1',
    );
    assert.equal(
      redactRedisUrl('rediss://user:p@ss:word@host:1/2'),
      'rediss://user:***@host:1/2',
    );
    assert.equal(
      redactRedisUrl('redis//user:secret@host'),
      'redis//user:***@host',
      'even when it cannot be parsed',
    );
    assert.equal(redactRedisUrl('redis://secret@host'), 'redis://***@host');
    assert.equal(redactRedisUrl('redis://host:6379'), 'redis://host:6379');
  });
});
