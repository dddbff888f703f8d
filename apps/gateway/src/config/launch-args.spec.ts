import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  launchEnv,
  LaunchError,
  parseLaunchArgs,
  parseNestStartArgs,
} from './launch-args';

describe(parseLaunchArgs.name, () => {
  it('reads --port, -p, --host and --help in both spellings', () => {
    assert.deepEqual(parseLaunchArgs(['--port', '8081', '--host=127.0.0.1']), {
      port: '8081',
      host: '127.0.0.1',
    });
    assert.deepEqual(parseLaunchArgs(['--port=0']), { port: '0' });
    assert.deepEqual(parseLaunchArgs(['-p', '9000']), { port: '9000' });
    assert.deepEqual(parseLaunchArgs(['--help']), { help: true });
    assert.deepEqual(parseLaunchArgs(['-h']), { help: true });
    assert.deepEqual(parseLaunchArgs([]), {});
  });

  it('refuses an unknown flag, naming the flags that exist and the nearest one', () => {
    assert.throws(
      () => parseLaunchArgs(['--prot', '8081']),
      (err: Error) =>
        err instanceof LaunchError &&
        err.message.startsWith('Unknown flag --prot: did you mean --port?') &&
        err.message.includes('--port N (-p), --host ADDRESS, --help (-h)'),
    );
    assert.throws(
      () => parseLaunchArgs(['--watch']),
      /Unknown flag --watch: the gateway takes/,
    );
  });

  it('refuses a flag without its value, and stray arguments', () => {
    assert.throws(
      () => parseLaunchArgs(['--port']),
      /--port needs a value: --port N/,
    );
    assert.throws(
      () => parseLaunchArgs(['--port', '--host', 'x']),
      /--port needs a value/,
    );
    assert.throws(
      () => parseLaunchArgs(['8081']),
      /Unexpected argument "8081"/,
    );
    assert.throws(
      () => parseLaunchArgs(['--help=yes']),
      /--help takes no value/,
    );
  });
});

describe(parseNestStartArgs.name, () => {
  it("reads our long flags, leaves Nest's own alone, and refuses the rest", () => {
    assert.deepEqual(
      parseNestStartArgs([
        'gateway',
        '--watch',
        '-c',
        'nest-cli.json',
        '--port',
        '8081',
      ]),
      { port: '8081' },
    );
    assert.deepEqual(
      parseNestStartArgs(['gateway', '-p', 'tsconfig.json']),
      {},
    );
    assert.throws(
      () => parseNestStartArgs(['gateway', '--prot', '8081']),
      /Unknown flag --prot: did you mean --port\?/,
    );
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
