import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import { ChatLogger, logFormat } from './chat-logger';

describe(ChatLogger.name, () => {
  let lines: string[];

  beforeEach(() => {
    lines = [];
    mock.method(
      process.stdout,
      'write',
      (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) > 0,
    );
  });

  afterEach(() => mock.restoreAll());

  it('picks JSON lines off a terminal and readable lines on one, unless LOG_FORMAT says', () => {
    assert.equal(logFormat(undefined, false), 'json');
    assert.equal(logFormat(undefined, true), 'pretty');
    assert.equal(logFormat('json', true), 'json');
    assert.equal(logFormat('pretty', false), 'pretty');
  });

  it('writes one JSON record a line, structured fields at the top level, secrets masked', () => {
    const sut = new ChatLogger('json', 'log', false);
    sut.log(
      'Session opened',
      { user: 'ann', address: '127.0.0.1', token: 'abc', password: 'pw' },
      'Sessions',
    );
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0]);
    assert.equal(record.level, 'log');
    assert.equal(record.context, 'Sessions');
    assert.equal(record.message, 'Session opened');
    assert.equal(record.user, 'ann');
    assert.equal(record.address, '127.0.0.1');
    assert.doesNotMatch(lines[0], /abc|"pw"/);
  });

  it("shows Nest's module-by-module start-up lines only at debug", () => {
    new ChatLogger('json', 'log', false).log(
      'AppModule dependencies initialized',
      'InstanceLoader',
    );
    assert.deepEqual(lines, []);
    new ChatLogger('json', 'debug', false).log(
      'AppModule dependencies initialized',
      'InstanceLoader',
    );
    assert.equal(JSON.parse(lines[0]).level, 'debug');
  });

  it('prints the listening line at every level: plain on a terminal, as a JSON record otherwise', () => {
    new ChatLogger('pretty', 'error', false).always(
      'Secure Server listening on 0.0.0.0:8000 (TLS Enabled)',
      'Gateway',
    );
    new ChatLogger('json', 'error', false).always(
      'Secure Server listening on 0.0.0.0:8000 (TLS Enabled)',
      'Gateway',
    );
    assert.equal(
      lines[0],
      'Secure Server listening on 0.0.0.0:8000 (TLS Enabled)',
    );
    assert.equal(
      JSON.parse(lines[1]).message,
      'Secure Server listening on 0.0.0.0:8000 (TLS Enabled)',
    );
  });
});
