import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CliOptions, DEFAULT_HOST, UsageError } from './cli-options';

describe(CliOptions.name, () => {
  const sut = CliOptions;

  it('defaults to localhost and leaves port and user to be asked', () => {
    const options = sut.parse([]);
    assert.equal(options.host, DEFAULT_HOST);
    assert.equal(options.ports, undefined);
    assert.equal(options.user, undefined);
    assert.equal(options.insecure, false);
    assert.equal(options.passwordStdin, false);
  });

  it('reads every flag, with a separate or an inline value', () => {
    const options = sut.parse([
      '--host',
      '127.0.0.1',
      '--port=8000',
      '--user',
      'a',
      '--password-stdin',
      '--ca',
      'my.crt',
      '--insecure',
    ]);
    assert.equal(options.host, '127.0.0.1');
    assert.deepEqual(options.ports, [8000]);
    assert.equal(options.user, 'a');
    assert.equal(options.passwordStdin, true);
    assert.equal(options.ca, 'my.crt');
    assert.equal(options.insecure, true);
  });

  it('reads a comma list of ports for failover, in order and without duplicates', () => {
    assert.deepEqual(sut.parse(['--port', '8000,8081']).ports, [8000, 8081]);
    assert.deepEqual(sut.parsePorts('8081, 8000,8081'), [8081, 8000]);
  });

  it('rejects bad ports, users, unknown flags and missing values with a message', () => {
    assert.throws(() => sut.parse(['--port', '80a']), /Port "80a" is invalid/);
    assert.throws(() => sut.parse(['--port', '70000']), UsageError);
    assert.throws(() => sut.parse(['--port', '8000,']), UsageError);
    assert.throws(
      () => sut.parse(['--user', 'a b']),
      /User name "a b" is invalid/,
    );
    assert.throws(
      () => sut.parse(['--verbose']),
      /Unknown option "--verbose": run chat-cli --help/,
    );
    assert.throws(() => sut.parse(['--port']), /Option --port needs a value/);
    assert.throws(
      () => sut.parse(['--port', '--user']),
      /Option --port needs a value/,
    );
    assert.throws(() => sut.parse(['--insecure=yes']), /takes no value/);
    assert.throws(
      () => sut.parse(['8000']),
      /Unexpected argument "8000": run chat-cli --help/,
    );
  });

  it('has no --password flag, and says what to use instead', () => {
    assert.throws(
      () => sut.parse(['--password', 'secret']),
      /CHAT_PASSWORD, --password-stdin or the prompt/,
    );
  });

  it('lists every option with a description in --help', () => {
    assert.equal(sut.parse(['--help']).help, true);
    const help = sut.helpText();
    for (const flag of [
      '--host',
      '--port',
      '--user',
      '--password-stdin',
      '--ca',
      '--insecure',
      '--help',
      'CHAT_PASSWORD',
    ]) {
      assert.match(help, new RegExp(`^  ${flag}\\b.*\\S`, 'm'));
    }
  });
});
