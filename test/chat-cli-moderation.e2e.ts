import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';

import { ChatStore, describeStores } from './support/chat-stores';
import { CliFleet, CliProcess, TIME } from './support/cli-process';
import { httpsJson } from './support/chat-client';
import { ADMIN_TOKEN, GatewayProcess } from './support/gateway-process';

/**
 * Issue 16 in the terminal: the real chat-cli on two gateways runs a room's moderation by its
 * commands, and every user sees plainly what happened to them and why.
 */
describeStores(
  'chat-cli moderating a room on two gateway instances',
  (kind) => {
    let store: ChatStore;
    let east: GatewayProcess;
    let west: GatewayProcess;
    const fleet = new CliFleet();
    const session = fleet.session.bind(fleet);
    const WAIT = 15_000;
    /** A line of `cli` matching `pattern`, printed after `since`. */
    const lineAfter = (cli: CliProcess, pattern: RegExp, since: number) =>
      cli.line(pattern, WAIT, since);

    before(async () => {
      store = await kind.start();
      [east, west] = await Promise.all([store.gateway(), store.gateway()]);
    });

    after(async () => {
      fleet.killAll();
      await Promise.all([east?.stop(), west?.stop()]);
      await store?.stop();
    });

    it(
      'lets the owner set a topic, make an operator, kick and ban with a reason, and keeps the notices in history',
      { timeout: 120_000 },
      async () => {
        const alice = await session('alice', [east.port]);
        const bob = await session('bob', [west.port]);
        const carol = await session('carol', [west.port]);

        alice.write('/join dev');
        await alice.line(/^joined #dev \(1 user\)$/, WAIT);
        await alice.line(/^users in #dev \(1\): alice \(owner\)$/, WAIT);
        alice.write('/topic Deploys only, please');
        await alice.line(
          new RegExp(
            `^${TIME} #dev \\* alice set the topic: Deploys only, please$`,
          ),
          WAIT,
        );

        bob.write('/join dev');
        await bob.line(
          /^joined #dev \(2 users\), topic: Deploys only, please$/,
          WAIT,
        );
        await bob.line(/^users in #dev \(2\): alice \(owner\), bob$/, WAIT);
        carol.write('/join dev');
        await carol.line(/^joined #dev \(3 users\), topic: /, WAIT);

        let mark = carol.out.length;
        alice.write('/op bob');
        await lineAfter(
          carol,
          new RegExp(`^${TIME} #dev \\* alice made bob an operator$`),
          mark,
        );
        bob.write('/who');
        await bob.line(
          /^users in #dev \(3\): alice \(owner\), bob \(op\), carol$/,
          WAIT,
        );

        // The operator on west kicks carol (also on west); alice on east sees the notice.
        mark = carol.out.length;
        bob.write('/kick carol spamming the channel');
        await lineAfter(
          carol,
          /^you were kicked from #dev by bob: spamming the channel$/,
          mark,
        );
        await alice.line(
          new RegExp(
            `^${TIME} #dev \\* bob kicked carol: spamming the channel$`,
          ),
          WAIT,
        );
        await lineAfter(carol, /^users in #global \(\d+\): /, mark);

        // A kick is not a ban: carol comes back, then is banned for ten minutes.
        carol.write('/join dev');
        await lineAfter(carol, /^joined #dev \(3 users\), topic: /, mark);
        mark = carol.out.length;
        bob.write('/ban carol 10m spam again');
        await lineAfter(
          carol,
          /^you were banned from #dev by bob until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d: spam again$/,
          mark,
        );
        await alice.line(
          new RegExp(`^${TIME} #dev \\* bob banned carol for 10m: spam again$`),
          WAIT,
        );

        // The banned join and a moderation command without a role are refused, plainly, and carol stays in #global.
        carol.write('/join dev');
        await carol.errorLine(/^refused: .+ \(BANNED\)$/, WAIT);
        carol.write('/kick #dev alice');
        await carol.errorLine(/^refused: .+ \(FORBIDDEN\)$/, WAIT);
        carol.write('still here');
        await carol.line(
          new RegExp(`^${TIME} #global <carol> still here$`),
          WAIT,
        );

        // A newcomer's first look at the room shows the notices among the messages.
        bob.write('ban done');
        const dave = await session('dave', [east.port]);
        dave.write('/join dev');
        await dave.line(/^-- earlier messages --$/, WAIT);
        const heading = dave.out.indexOf('-- earlier messages --');
        await lineAfter(
          dave,
          new RegExp(`^${TIME} #dev <bob> ban done$`),
          heading,
        );
        const earlier = dave.out
          .slice(heading + 1)
          .filter((line) => line.includes(' #dev '));
        for (const notice of [
          '* alice set the topic: Deploys only, please',
          '* alice made bob an operator',
          '* bob kicked carol: spamming the channel',
          '* bob banned carol for 10m: spam again',
        ])
          assert.ok(
            earlier.some((line) => line.endsWith(notice)),
            `dave's earlier messages show "${notice}"\n${dave.transcript()}`,
          );

        await fleet.endCleanly(alice, bob, carol, dave);
        for (const cli of [alice, bob, dave])
          assert.deepEqual(cli.err, [], cli.transcript());
      },
    );

    it(
      "keeps a private room to the invited, and refuses a muted user's lines",
      { timeout: 120_000 },
      async () => {
        const olga = await session('olga', [west.port]);
        const pete = await session('pete', [east.port]);

        olga.write('/join vault', '/private on');
        await olga.line(
          new RegExp(`^${TIME} #vault \\* room is now private, set by olga$`),
          WAIT,
        );
        pete.write('/join vault');
        await pete.errorLine(/^refused: .+ \(NOT_INVITED\)$/, WAIT);

        // From #global, with the room named: the reply confirms it (olga is not in #vault's log there).
        olga.write('/leave', '/invite #vault pete');
        await olga.line(/^invited pete to #vault$/, WAIT);
        olga.write('/join vault');
        await olga.line(/^joined #vault \(1 user, private\)$/, WAIT);
        pete.write('/join vault');
        await pete.line(/^joined #vault \(2 users, private\)$/, WAIT);

        olga.write('/mute pete 1m');
        await pete.line(
          new RegExp(`^${TIME} #vault \\* olga muted pete for 1m$`),
          WAIT,
        );
        pete.write('can I speak?');
        await pete.errorLine(/^refused: .+ \(MUTED\)$/, WAIT);
        await pete.errorLine(/^not sent: "can I speak\?"$/, WAIT);
        olga.write('/unmute pete');
        await pete.line(
          new RegExp(`^${TIME} #vault \\* olga unmuted pete$`),
          WAIT,
        );
        pete.write('thanks');
        await olga.line(new RegExp(`^${TIME} #vault <pete> thanks$`), WAIT);

        await fleet.endCleanly(olga, pete);
        assert.deepEqual(olga.err, [], olga.transcript());
      },
    );

    it(
      'stops with one plain line and exit 1, without reconnecting, when an admin disables the account',
      { timeout: 60_000 },
      async () => {
        const admin = (action: 'disable' | 'enable') =>
          httpsJson(
            west.port,
            'POST',
            `/admin/users/zed/${action}`,
            {},
            {
              authorization: `Bearer ${ADMIN_TOKEN}`,
            },
          );
        // Two ports: any other drop would send it to the second one.
        const zed = await session('zed', [east.port, west.port]);
        assert.equal((await admin('disable')).status, 200);
        const { code, stderr } = await zed.exit(WAIT);
        assert.equal(code, 1, zed.transcript());
        assert.match(
          stderr,
          /^error: localhost:\d+ closed the connection: your account has been disabled by an administrator \(code 4403\)\. It cannot log in until an administrator enables it again\.$/m,
        );
        assert.doesNotMatch(stderr, /reconnecting/);

        const again = fleet.start(
          'zed',
          ['--port', String(west.port), '--user', 'zed'],
          {
            CHAT_PASSWORD: 'pw',
          },
        );
        const refused = await again.exit(WAIT);
        assert.equal(refused.code, 1, again.transcript());
        assert.match(
          refused.stderr,
          /^error: Login refused: .*disabled by an administrator/m,
        );
        assert.equal((await admin('enable')).status, 200);
        await fleet.endCleanly(await session('zed', [west.port]));
      },
    );
  },
);
