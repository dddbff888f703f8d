import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Endpoint } from './auth-client';
import { Backoff } from './backoff';
import { ConnectError } from './connect-error';
import { Retrying, RetryLoop } from './retry-loop';

describe(RetryLoop.name, () => {
  const ports = [8000, 8081];
  const setup = (
    outcomes: Array<string | ConnectError>,
    attempts = 4,
    restartWindowMs?: number,
  ) => {
    const slept: number[] = [];
    const tried: number[] = [];
    const retries: Retrying[] = [];
    let cancelled = false;
    const sut = new RetryLoop<string>({
      backoff: new Backoff({ baseMs: 100, maxMs: 1000, attempts }, () => 1),
      restartWindowMs,
      target: (attempt): Endpoint => ({
        host: 'localhost',
        port: ports[attempt % ports.length],
      }),
      connect: async (endpoint) => {
        tried.push(endpoint.port);
        const outcome =
          outcomes.shift() ?? new ConnectError('refused', 'refused');
        if (outcome instanceof ConnectError) throw outcome;
        return outcome;
      },
      sleep: async (ms) => {
        slept.push(ms);
      },
      onRetry: (retrying) => retries.push(retrying),
      cancelled: () => cancelled,
    });
    return { sut, slept, tried, retries, cancel: () => (cancelled = true) };
  };

  it('waits with backoff before each attempt and moves to the next endpoint each time', async () => {
    const { sut, slept, tried, retries } = setup([
      new ConnectError('refused', 'refused 8000'),
      'welcome',
    ]);
    assert.equal(await sut.run(), 'welcome');
    assert.deepEqual(slept, [100, 200]);
    assert.deepEqual(tried, [8000, 8081]);
    assert.deepEqual(
      retries.map((r) => [
        r.attempt,
        r.attempts,
        r.endpoint.port,
        r.error?.message,
      ]),
      [
        [1, 4, 8000, undefined],
        [2, 4, 8081, 'refused 8000'],
      ],
    );
  });

  it('gives up after the last attempt, naming the last error', async () => {
    const { sut, tried } = setup([], 3);
    await assert.rejects(sut.run(), (error: ConnectError) => {
      assert.equal(
        error.message,
        'Gave up reconnecting after 3 attempts: refused',
      );
      assert.equal(error.failure, 'refused');
      return true;
    });
    assert.equal(tried.length, 3);
  });

  it('stops at once on a fatal error', async () => {
    const { sut, tried } = setup([
      new ConnectError('login', 'Login failed: wrong password'),
    ]);
    await assert.rejects(sut.run(), /Login failed: wrong password/);
    assert.equal(tried.length, 1);
  });

  it('ends quietly when cancelled', async () => {
    const { sut, tried, cancel } = setup([]);
    cancel();
    assert.equal(await sut.run(), undefined);
    assert.equal(tried.length, 0);
  });

  it('spreads the first attempt over a restart window, then backs off, never sooner than Retry-After', async () => {
    const { sut, slept } = setup(
      [
        new ConnectError('protocol', 'busy', 2500),
        new ConnectError('refused', 'refused'),
        'welcome',
      ],
      4,
      5000,
    );
    assert.equal(await sut.run(), 'welcome');
    assert.deepEqual(slept, [5000, 2500, 400]);
  });
});
