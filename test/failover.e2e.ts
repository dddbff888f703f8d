import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';

import { ChatClient } from './support/chat-client';
import { CliFleet, CliProcess, TIME } from './support/cli-process';
import { GatewayProcess } from './support/gateway-process';
import { waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const FAST_HEARTBEAT = { HEARTBEAT_INTERVAL_MS: '300' };

/**
 * Failover with no configuration (issue 17): every `welcome` lists the cluster's live instances, and
 * a chat-cli given one port moves to another instance by itself when its own dies.
 */
describe('failover to the instances the cluster advertises', () => {
  let redis: TestRedis;
  let east: GatewayProcess;
  let west: GatewayProcess;
  const fleet = new CliFleet();
  const clients: ChatClient[] = [];

  const client = async (
    gateway: GatewayProcess,
    user: string,
  ): Promise<ChatClient> => {
    const connected = await ChatClient.connect(gateway, user);
    clients.push(connected);
    return connected;
  };
  const welcomeOf = async (
    gateway: GatewayProcess,
    user: string,
  ): Promise<string[]> => {
    const c = await client(gateway, user);
    const welcome = await c.next((f) => f.event === 'welcome');
    await c.close();
    return welcome.data.instances as string[];
  };
  const urlOf = (gateway: GatewayProcess): string =>
    `https://127.0.0.1:${gateway.port}`;
  const saidIn = (cli: CliProcess, room: string, from: string): string[] => {
    const line = new RegExp(`^${TIME} #${room} <${from}> (.*)$`);
    return cli.out.flatMap((text) => line.exec(text)?.[1] ?? []);
  };

  before(async () => {
    redis = await TestRedis.start();
    [east, west] = await Promise.all([
      GatewayProcess.start(redis.url, FAST_HEARTBEAT),
      GatewayProcess.start(redis.url, FAST_HEARTBEAT),
    ]);
  });

  after(async () => {
    fleet.killAll();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([east?.stop(), west?.stop()]);
    await redis?.stop();
  });

  it(
    'welcome lists the live instances, this one first; a killed one drops out once reaped, logged once',
    { timeout: 60000 },
    async () => {
      const doomed = await GatewayProcess.start(redis.url, FAST_HEARTBEAT);
      try {
        const own = await client(doomed, 'probe');
        const doomedId = (await own.next((f) => f.event === 'welcome')).data
          .instance as string;
        await own.close();
        await waitFor(
          async () => (await welcomeOf(east, 'probe')).length === 3,
          10000,
          'east to see three instances',
        );
        const seen = await welcomeOf(west, 'probe');
        assert.equal(seen[0], urlOf(west), 'this instance first');
        assert.deepEqual(
          [...seen].sort(),
          [urlOf(east), urlOf(west), urlOf(doomed)].sort(),
        );

        await doomed.stop('SIGKILL');
        await waitFor(
          async () =>
            !(await welcomeOf(east, 'probe')).includes(urlOf(doomed)) &&
            !(await welcomeOf(west, 'probe')).includes(urlOf(doomed)),
          15000,
          'the killed instance to drop out of welcome.instances',
        );
        const reapedLines = (gateway: GatewayProcess): number =>
          gateway.log
            .split('\n')
            .filter((line) => /missed its heartbeats: removed its/.test(line))
            .length;
        await waitFor(
          () => reapedLines(east) + reapedLines(west) >= 1,
          5000,
          'a reaping log line',
        );
        // Out of the set, no later pass can reap (and log) it again.
        const set = new Redis(redis.url);
        try {
          assert.equal(await set.sismember('chat:{instances}', doomedId), 0);
        } finally {
          set.disconnect();
        }
        assert.equal(
          reapedLines(east) + reapedLines(west),
          1,
          `${east.log}\n${west.log}`,
        );
      } finally {
        await doomed.stop('SIGKILL');
      }
    },
  );

  it(
    'a chat-cli that typed one port carries on through another instance when that one is killed, nothing lost or doubled',
    { timeout: 90000 },
    async () => {
      const doomed = await GatewayProcess.start(redis.url, FAST_HEARTBEAT);
      try {
        await waitFor(
          async () => (await welcomeOf(doomed, 'probe')).length === 3,
          10000,
          'the new instance to see the others',
        );
        const ivan = fleet.start('ivan', []);
        ivan.write(String(doomed.port), 'ivan', 'pw');
        await ivan.line(
          new RegExp(`^connected to localhost:${doomed.port} \\(#global\\)$`),
        );
        const judy = await client(west, 'judy');
        await judy.request('join', { room: 'failover' });
        ivan.write('/join failover');
        await ivan.line(/^joined #failover \(2 users\)$/);
        await judy.request('send', { text: 'before the crash' });
        await ivan.line(
          new RegExp(`^${TIME} #failover <judy> before the crash$`),
        );

        await doomed.stop('SIGKILL');
        await ivan.errorLine(
          new RegExp(`^connection to localhost:${doomed.port} lost`),
        );
        ivan.write('typed while away');
        for (const n of [1, 2, 3])
          await judy.request('send', { text: `while away ${n}` });

        const back = await ivan.line(
          /^reconnected to localhost:(\d+) \(#failover\)$/,
          20000,
        );
        assert.notEqual(
          back,
          `reconnected to localhost:${doomed.port} (#failover)`,
        );
        await judy.request('send', { text: 'after the failover' });
        await ivan.line(
          new RegExp(`^${TIME} #failover <judy> after the failover$`),
          10000,
        );
        ivan.write('marker from ivan');
        await judy.next(
          (f) => f.event === 'message' && f.data.text === 'marker from ivan',
          10000,
          'the marker',
        );
        await ivan.line(
          new RegExp(`^${TIME} #failover <ivan> marker from ivan$`),
        );
        await fleet.endCleanly(ivan);

        assert.deepEqual(
          saidIn(ivan, 'failover', 'judy'),
          [
            'before the crash',
            'while away 1',
            'while away 2',
            'while away 3',
            'after the failover',
          ],
          ivan.transcript(),
        );
        assert.deepEqual(
          judy
            .messages()
            .filter((m) => m.from === 'ivan')
            .map((m) => m.text),
          ['typed while away', 'marker from ivan'],
        );
      } finally {
        await doomed.stop('SIGKILL');
      }
    },
  );
});
