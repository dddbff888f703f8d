import assert from 'node:assert/strict';
import { after, before, describe, it, TestContext } from 'node:test';

import { ChatClient } from './support/chat-client';
import { CliFleet, CliProcess, TIME } from './support/cli-process';
import { GatewayProcess } from './support/gateway-process';
import { waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

/**
 * The real chat-cli against two real gateways, for durable chat (issue 6): history on join, resume
 * after a failover, lines sent with a cid, offline DMs. Until the gateway answers `history`, the
 * cases are skipped (the probe in `before` says why), so this file can land before the server side.
 */
describe('chat-cli durable chat against two gateway instances', () => {
  let redis: TestRedis;
  let east: GatewayProcess;
  let west: GatewayProcess;
  let serverMissing: string | undefined;
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
  const skipped = (t: TestContext): boolean => {
    if (serverMissing) t.skip(serverMissing);
    return serverMissing !== undefined;
  };
  /** The texts of the chat lines `cli` printed for `from` in `room`, in order. */
  const saidIn = (cli: CliProcess, room: string, from: string): string[] => {
    const line = new RegExp(`^${TIME} #${room} <${from}> (.*)$`);
    return cli.out.flatMap((text) => line.exec(text)?.[1] ?? []);
  };

  before(async () => {
    redis = await TestRedis.start();
    [east, west] = await Promise.all([
      GatewayProcess.start(redis.url),
      GatewayProcess.start(redis.url),
    ]);
    const probe = await client(west, 'probe');
    const reply = await probe.request('history', { room: 'global', limit: 1 });
    if (reply.event !== 'history')
      serverMissing = `the gateway does not serve history yet (${reply.data.code})`;
  });

  after(async () => {
    fleet.killAll();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([east?.stop(), west?.stop()]);
    await redis?.stop();
  });

  it(
    'shows who is in a room and its earlier messages, dimmed under a header, on /join',
    { timeout: 60000 },
    async (t) => {
      if (skipped(t)) return;
      const writer = await client(west, 'writer');
      await writer.request('join', { room: 'durable' });
      for (const n of [1, 2, 3])
        await writer.request('send', {
          text: `earlier ${n}`,
          cid: `writer-earlier-${n}`,
        });

      const reader = await fleet.session('reader', [east.port]);
      reader.write('/join durable');
      await reader.line(/^joined #durable \(2 users\)$/);
      await reader.line(/^users in #durable \(2\): writer \(owner\), reader$/);
      await reader.line(/^-- earlier messages --$/);
      await reader.line(new RegExp(`^${TIME} #durable <writer> earlier 3$`));
      const header = reader.out.indexOf('-- earlier messages --');
      assert.deepEqual(saidIn(reader, 'durable', 'writer'), [
        'earlier 1',
        'earlier 2',
        'earlier 3',
      ]);
      assert.ok(
        reader.out.findIndex((line) => line.endsWith('earlier 1')) > header,
        reader.transcript(),
      );

      writer.emit('send', { text: 'live after the join' });
      await reader.line(
        new RegExp(`^${TIME} #durable <writer> live after the join$`),
      );
      await fleet.endCleanly(reader);
      assert.equal(
        saidIn(reader, 'durable', 'writer').length,
        4,
        reader.transcript(),
      );
    },
  );

  it(
    'fails over when its instance is killed, catches up on what it missed, and doubles nothing',
    { timeout: 90000 },
    async (t) => {
      if (skipped(t)) return;
      const doomed = await GatewayProcess.start(redis.url);
      try {
        const ivan = await fleet.session('ivan', [doomed.port, west.port]);
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
        // Typed while offline (or, if it is back already, sent at once): either way it must arrive exactly once.
        ivan.write('typed while away');
        for (const n of [1, 2, 3, 4, 5])
          await judy.request('send', { text: `while away ${n}` });
        await judy.request('dm', { to: 'ivan', text: 'a DM while away' });

        await ivan.line(
          new RegExp(`^reconnected to localhost:${west.port} \\(#failover\\)$`),
          20000,
        );
        await ivan.line(
          /^\(caught up: \d+ messages? while you were away\)$/,
          20000,
        );
        await ivan.line(
          new RegExp(`^${TIME} DM <judy -> ivan> a DM while away$`),
        );
        await judy.request('send', { text: 'after the catch-up' });
        await ivan.line(
          new RegExp(`^${TIME} #failover <judy> after the catch-up$`),
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
            'while away 4',
            'while away 5',
            'after the catch-up',
          ],
          ivan.transcript(),
        );
        assert.equal(
          ivan.out.filter((line) =>
            line.endsWith('DM <judy -> ivan> a DM while away'),
          ).length,
          1,
          ivan.transcript(),
        );
        assert.deepEqual(
          saidIn(ivan, 'failover', 'ivan'),
          ['typed while away', 'marker from ivan'],
          ivan.transcript(),
        );
        const fromIvan = judy
          .messages()
          .filter((m) => m.from === 'ivan')
          .map((m) => m.text);
        assert.deepEqual(fromIvan, ['typed while away', 'marker from ivan']);
      } finally {
        await doomed.stop('SIGKILL');
      }
    },
  );

  it(
    'stores a DM to an offline user, says so, and shows it once at their next login',
    { timeout: 60000 },
    async (t) => {
      if (skipped(t)) return;
      const watcher = await client(west, 'watcher');
      const ghost = await fleet.session('ghost', [east.port]);
      await fleet.endCleanly(ghost);
      await waitFor(
        async () =>
          !(
            await watcher.request('who', { room: 'global' })
          ).data.users.includes('ghost'),
        10000,
        'ghost to leave',
      );

      const sender = await fleet.session('sender', [west.port]);
      sender.write('/msg ghost are you there?');
      await sender.line(
        new RegExp(`^${TIME} DM <sender -> ghost> are you there\\?$`),
      );
      await sender.line(
        /^ghost is offline: they will see it when they log in$/,
      );
      await fleet.endCleanly(sender);

      const back = await fleet.session('ghost', [east.port]);
      await back.line(/^1 direct message while you were away$/);
      await back.line(
        new RegExp(`^${TIME} DM <sender -> ghost> are you there\\?$`),
      );
      await fleet.endCleanly(back);
      assert.equal(
        back.out.filter((line) => line.includes('are you there?')).length,
        1,
        back.transcript(),
      );
    },
  );
});
