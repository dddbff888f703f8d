import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';

import { ChatStore, describeStores } from './support/chat-stores';
import { CliFleet, TIME } from './support/cli-process';
import { GatewayProcess } from './support/gateway-process';
import { freePort } from './support/ports';

describeStores('chat-cli against two gateway instances', (kind) => {
  let store: ChatStore;
  let east: GatewayProcess;
  let west: GatewayProcess;
  const fleet = new CliFleet();
  const temp = mkdtempSync(join(tmpdir(), 'chat-cli-e2e-'));
  const cli = fleet.start.bind(fleet);
  const session = fleet.session.bind(fleet);
  const endCleanly = fleet.endCleanly.bind(fleet);

  before(async () => {
    store = await kind.start();
    [east, west] = await Promise.all([store.gateway(), store.gateway()]);
  });

  after(async () => {
    fleet.killAll();
    await Promise.all([east?.stop(), west?.stop()]);
    await store?.stop();
    rmSync(temp, { recursive: true, force: true });
  });

  it(
    'walks the seed flow: prompts, global chat, room1, /rooms and /subscribe across instances',
    { timeout: 60000 },
    async () => {
      // a answers the three questions on stdin, as in the walk-through; b uses flags.
      const a = cli('a', []);
      a.write(String(east.port), 'a', '1');
      await a.line(
        /^logged in as a \((new account created|existing account)\)$/,
      );
      await a.line(
        new RegExp(`^connected to localhost:${east.port} \\(#global\\)$`),
      );
      const b = await session('b', [west.port], '1');

      a.write('hello from a');
      await b.line(new RegExp(`^${TIME} #global <a> hello from a$`));
      await a.line(new RegExp(`^${TIME} #global <a> hello from a$`));

      a.write('/join room1');
      await a.line(/^joined #room1 \(1 user\)$/);
      b.write('/join room1');
      await b.line(/^joined #room1 \(2 users\)$/);
      await a.line(new RegExp(`^${TIME} \\* b joined #room1$`));

      b.write('hi in room1');
      await a.line(new RegExp(`^${TIME} #room1 <b> hi in room1$`));

      const since = a.out.length;
      a.write('/rooms');
      await a.line(/^ROOM\s+USERS$/, 8000, since);
      await a.line(/^room1\s+2$/, 8000, since);

      a.write('/subscribe b');
      await a.line(/^subscribed to b$/);
      a.write('/leave');
      await a.line(/^joined #global \(\d+ users?\)$/);
      b.write('b speaks in room1');
      await a.line(
        new RegExp(
          `^${TIME} #room1 <b> b speaks in room1 \\(via subscription\\)$`,
        ),
      );
      a.write('/unsubscribe b');
      await a.line(/^unsubscribed from b$/);

      await endCleanly(a, b);
      assert.deepEqual(a.err, [], a.transcript());
    },
  );

  it(
    'delivers a DM to both ends only, and reports a DM to an unknown user on stderr',
    { timeout: 30000 },
    async () => {
      const carol = await session('carol', [east.port]);
      const dave = await session('dave', [west.port]);
      const eve = await session('eve', [west.port]);
      carol.write('/msg dave the secret is 42');
      await carol.line(
        new RegExp(`^${TIME} DM <carol -> dave> the secret is 42$`),
      );
      await dave.line(
        new RegExp(`^${TIME} DM <carol -> dave> the secret is 42$`),
      );
      dave.write('/dm carol got it');
      await carol.line(new RegExp(`^${TIME} DM <dave -> carol> got it$`));
      carol.write('/msg nobody-here hi');
      await carol.errorLine(/^error: NOT_FOUND: .*nobody-here/);
      eve.write('/who');
      await eve.line(/^users in #global \(\d+\): /);
      await endCleanly(carol, dave, eve);
      assert.equal(
        eve.out.some((line) => line.includes('secret')),
        false,
      );
    },
  );

  it(
    'shows the name as registered when it is typed in another case',
    { timeout: 30000 },
    async () => {
      await endCleanly(await session('zoe', [east.port]));
      const again = cli('Zoe', ['--port', String(west.port), '--user', 'Zoe'], {
        CHAT_PASSWORD: 'pw',
      });
      await again.line(/^logged in as zoe \(existing account\)$/);
      again.write('hello from zoe');
      await again.line(new RegExp(`^${TIME} #global <zoe> hello from zoe$`));
      await endCleanly(again);
      assert.equal(again.out.join('\n').includes('Zoe'), false);
    },
  );

  it(
    'refuses control characters before sending, and neutralises the bidi overrides another user sends',
    { timeout: 30000 },
    async () => {
      const mallory = await session('mallory', [east.port]);
      const victim = await session('victim', [west.port]);
      mallory.write(
        '/msg victim \x1b[2J\x1b]0;owned\x07look\x1b[31m red\u202e',
      );
      await mallory.errorLine(
        /control characters other than tab and newline: found U\+001B at character 1/,
      );
      mallory.write('/msg victim look red\u202e');
      const line = await victim.line(/DM <mallory -> victim>/);
      assert.match(line, /> look red\\u202e$/);
      await endCleanly(mallory, victim);
      assert.equal(victim.out.join('\n').includes('\x1b'), false);
    },
  );

  it(
    'exits non-zero with one clear line on a wrong password',
    { timeout: 30000 },
    async () => {
      const first = await session('frank', [east.port], 'right-password');
      await endCleanly(first);
      const client = cli(
        'frank-again',
        ['--port', String(west.port), '--user', 'frank'],
        { CHAT_PASSWORD: 'wrong-password' },
      );
      client.end();
      const exit = await client.exit();
      assert.notEqual(exit.code, 0);
      assert.equal(exit.stdout, '');
      assert.match(exit.stderr, /^error: Login failed: .+\n$/);
    },
  );

  it(
    'exits non-zero with one clear line on a refused port',
    { timeout: 30000 },
    async () => {
      const port = await freePort();
      const client = cli(
        'refused',
        ['--port', String(port), '--user', 'gina'],
        { CHAT_PASSWORD: 'pw' },
      );
      client.end();
      const exit = await client.exit();
      assert.notEqual(exit.code, 0);
      assert.equal(
        exit.stderr,
        `error: Cannot connect to localhost:${port}: connection refused (is the gateway running on that port?)\n`,
      );
    },
  );

  it(
    'refuses an untrusted certificate with a line naming --ca, without logging in',
    { timeout: 30000 },
    async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- selfsigned ships no type declarations
      const selfsigned = require('selfsigned') as {
        generate(attrs: unknown, options: unknown): Promise<{ cert: string }>;
      };
      const other = join(temp, 'other.crt');
      writeFileSync(
        other,
        (
          await selfsigned.generate(
            [{ name: 'commonName', value: 'localhost' }],
            { keyType: 'ec', curve: 'P-256' },
          )
        ).cert,
      );
      const client = cli(
        'untrusted',
        ['--ca', other, '--port', String(east.port), '--user', 'henry'],
        { CHAT_PASSWORD: 'pw' },
      );
      client.end();
      const exit = await client.exit();
      assert.notEqual(exit.code, 0);
      assert.match(
        exit.stderr,
        /^error: The certificate of localhost:\d+ is not trusted \(.+\): pass --ca FILE.*The password was not sent\.\n$/,
      );
      // henry was never registered: a later login with another password creates the account.
      const later = await session('henry', [east.port], 'another');
      await later.line(/^logged in as henry \(new account created\)$/);
      await endCleanly(later);
    },
  );

  it(
    'fails over to the next port when its instance stops, back in its room within seconds',
    { timeout: 60000 },
    async () => {
      const doomed = await store.gateway();
      try {
        const ivan = await session('ivan', [doomed.port, west.port]);
        const judy = await session('judy', [west.port]);
        ivan.write('/join failover');
        await ivan.line(/^joined #failover \(1 user\)$/);
        judy.write('/join failover');
        await judy.line(/^joined #failover \(2 users\)$/);

        const stoppedAt = Date.now();
        await doomed.stop();
        await ivan.errorLine(
          new RegExp(
            `^connection to localhost:${doomed.port} lost \\(code 1012`,
          ),
        );
        await ivan.line(
          new RegExp(`^reconnected to localhost:${west.port} \\(#failover\\)$`),
          10000,
        );
        assert.ok(
          Date.now() - stoppedAt < 10000,
          `failover took ${Date.now() - stoppedAt} ms`,
        );

        ivan.write('still here');
        await judy.line(new RegExp(`^${TIME} #failover <ivan> still here$`));
        judy.write('/who');
        // ivan made the room, so ivan owns it: the owner is listed first.
        await judy.line(/^users in #failover \(2\): ivan \(owner\), judy$/);
        await endCleanly(ivan, judy);
      } finally {
        await doomed.stop();
      }
    },
  );
});
