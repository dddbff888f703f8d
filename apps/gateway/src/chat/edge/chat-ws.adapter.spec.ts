import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PROTOCOL } from '@app/protocol';

import {
  ChatWsAdapter,
  ChatWsOptions,
  UpgradeRequest,
} from './chat-ws.adapter';

type Verdict = [
  boolean,
  number | undefined,
  string | undefined,
  Record<string, string> | undefined,
];

const request = (protocols = `other, ${PROTOCOL}`): UpgradeRequest =>
  ({
    headers: {
      authorization: 'Bearer t',
      host: 'localhost',
      'sec-websocket-protocol': protocols,
    },
    url: '/ws',
    socket: {
      remoteAddress: '127.0.0.1',
      destroyed: false,
      once: () => undefined,
    },
  }) as unknown as UpgradeRequest;

describe(ChatWsAdapter.name, () => {
  const make = (options: Partial<ChatWsOptions>) => {
    const checks: Array<() => void> = [];
    const sut = new ChatWsAdapter(undefined as never, {
      maxFrameBytes: 65536,
      pingIntervalMs: 25000,
      pingTimeoutMs: 10000,
      allowedOrigins: [],
      maxPendingUpgrades: 100,
      upgradesPerSecond: 1000,
      // Token checks that finish only when the test says so: upgrades stay pending.
      authenticate: () =>
        new Promise((resolve) =>
          checks.push(() => resolve({ claims: { sub: 'ann' } as never })),
        ),
      admit: async () => ({ sessionId: 'ann-1' }),
      release: async () => undefined,
      rateLimited: () => undefined,
      dispatcher: undefined as never,
      ...options,
    });
    const verify = (protocols?: string): Promise<Verdict> =>
      new Promise((resolve) =>
        sut['verify'](request(protocols), (...verdict: unknown[]) =>
          resolve(verdict as Verdict),
        ),
      );
    return { verify, finishChecks: () => checks.splice(0).forEach((f) => f()) };
  };

  it('answers 503 with Retry-After when MAX_PENDING_UPGRADES are being checked, and admits again once they finish', async () => {
    const { verify, finishChecks } = make({ maxPendingUpgrades: 2 });
    const first = verify();
    const second = verify();
    const [ok, status, message, headers] = await verify();
    assert.deepEqual(
      [ok, status, headers],
      [false, 503, { 'Retry-After': '1' }],
    );
    assert.match(message ?? '', /busy.*try again in 1 s/);
    finishChecks();
    assert.equal((await first)[1], 101);
    assert.equal((await second)[1], 101);
    const third = verify();
    finishChecks();
    assert.equal((await third)[1], 101);
  });

  it('answers 426 to a client that does not offer protocol v2, saying to update it', async () => {
    const { verify } = make({});
    const [ok, status, message] = await verify('');
    assert.deepEqual([ok, status], [false, 426]);
    assert.match(
      message ?? '',
      /speaks chat protocol v2 \(WebSocket subprotocol securechat\.v2\).*update the client/,
    );
    assert.equal((await verify('securechat.v1'))[1], 426);
  });

  it('answers 503 with Retry-After beyond UPGRADES_PER_SECOND', async () => {
    const { verify, finishChecks } = make({ upgradesPerSecond: 2 });
    const admitted = [verify(), verify()];
    const [ok, status] = await verify();
    assert.deepEqual([ok, status], [false, 503]);
    finishChecks();
    assert.deepEqual(
      (await Promise.all(admitted)).map((v) => v[1]),
      [101, 101],
    );
  });
});
