import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { launchEnv, parseLaunchArgs } from './launch-args';

describe(parseLaunchArgs.name, () => {
  it('reads --port and --host in both spellings and ignores the rest', () => {
    assert.deepEqual(
      parseLaunchArgs(['--port', '8081', '--watch', '--host=127.0.0.1']),
      { port: '8081', host: '127.0.0.1' },
    );
    assert.deepEqual(parseLaunchArgs(['--port=0']), { port: '0' });
    assert.deepEqual(parseLaunchArgs(['start', 'gateway']), {});
    assert.deepEqual(parseLaunchArgs(['--port']), {});
  });
});

describe(launchEnv.name, () => {
  it('lets flags override PORT and HOST and keeps the rest of the environment', () => {
    const sut = launchEnv(['--port', '9000', '--host', '::1'], {
      PORT: '8000',
      REDIS_URL: 'redis://x',
    });
    assert.equal(sut.PORT, '9000');
    assert.equal(sut.HOST, '::1');
    assert.equal(sut.REDIS_URL, 'redis://x');
  });
});
