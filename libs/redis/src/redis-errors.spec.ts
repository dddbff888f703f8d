import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isRedisOutOfMemory, isRedisUnavailable } from './redis-errors';

describe(isRedisUnavailable.name, () => {
  it('recognises a lost connection, a timeout and a Redis that is loading', () => {
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 127.0.0.1:6379'),
      { code: 'ECONNREFUSED' },
    );
    class MaxRetriesPerRequestError extends Error {
      name = 'MaxRetriesPerRequestError';
    }
    assert.equal(isRedisUnavailable(refused), true);
    assert.equal(
      isRedisUnavailable(
        new MaxRetriesPerRequestError(
          'Reached the max retries per request limit',
        ),
      ),
      true,
    );
    assert.equal(isRedisUnavailable(new Error('Command timed out')), true);
    assert.equal(isRedisUnavailable(new Error('Connection is closed.')), true);
    assert.equal(
      isRedisUnavailable(
        new Error('LOADING Redis is loading the dataset in memory'),
      ),
      true,
    );
  });

  it('leaves every other failure alone', () => {
    assert.equal(
      isRedisUnavailable(
        new Error(
          'WRONGTYPE Operation against a key holding the wrong kind of value',
        ),
      ),
      false,
    );
    assert.equal(isRedisUnavailable(new TypeError('x is undefined')), false);
    assert.equal(isRedisUnavailable('ECONNREFUSED'), false);
  });
});

describe(isRedisOutOfMemory.name, () => {
  it('recognises a write refused at maxmemory, alone or inside a MULTI, and nothing else', () => {
    const oom = new Error(
      "OOM command not allowed when used memory > 'maxmemory'.",
    );
    assert.equal(isRedisOutOfMemory(oom), true);
    const aborted = Object.assign(
      new Error('EXECABORT Transaction discarded because of previous errors.'),
      { previousErrors: [oom] },
    );
    assert.equal(isRedisOutOfMemory(aborted), true);
    assert.equal(isRedisOutOfMemory(new Error('Connection is closed.')), false);
    assert.equal(isRedisOutOfMemory('OOM'), false);
  });
});
