import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

import { settingDocs } from '../apps/gateway/src/config/settings';
import { GATEWAY_MAIN, ROOT } from './support/gateway-process';
import { freePort } from './support/ports';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the gateway with `args` against a Redis that is not there: only an early answer can exit cleanly. */
async function gateway(args: string[]): Promise<Run> {
  const nothing = await freePort();
  const child = spawn(process.execPath, [GATEWAY_MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${nothing}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', resolve),
  );
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('the gateway explains itself', () => {
  it('--help lists the flags and every setting with its default, and starts nothing', async () => {
    const run = await gateway(['--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^Usage: /);
    assert.match(run.stdout, /--port N, -p N/);
    for (const { name } of settingDocs())
      assert.match(run.stdout, new RegExp(`^  ${name}[= ]`, 'm'), name);
  });

  it('an unknown flag is an error naming the flags that exist, before anything starts', async () => {
    const run = await gateway(['--prot', '8081']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      'error: Unknown flag --prot: did you mean --port? the gateway takes --port N (-p), --host ADDRESS, --help (-h); settings are environment variables, listed by --help\n',
    );
  });
});
