import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';

import { BusChannels, PubsubKeys } from '@app/pubsub';

import {
  assertGotExactly,
  fullHistory,
  roomIds,
  sendAll,
  adminRoomCount,
} from './support/chat-checks';
import {
  ChatClient,
  ClientPool,
  httpsJson,
  upgradeStatus,
} from './support/chat-client';
import { ChatStore, describeStores } from './support/chat-stores';
import { GatewayProcess } from './support/gateway-process';
import { sleep, waitFor } from './support/ports';
import { ClusterNode } from './support/redis-cluster';
import { StoreAdmin } from './support/store-admin';

const HEARTBEAT_MS = 500;
const masterPorts = (masters?: ClusterNode[]): number[] | undefined =>
  masters?.map((m) => m.port).sort((a, b) => a - b);
const ENV = {
  HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
  REDIS_RETRY_DELAY_MS: '200',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
};

describeStores(
  'faults on the bus and of instances: gaps, stalls, pauses and lost data',
  (kind) => {
    let store: ChatStore;
    /** The standalone store's one server, or each master of the cluster. */
    let admin: StoreAdmin;
    let east: GatewayProcess;
    let west: GatewayProcess;
    const pool = new ClientPool();
    const connect = (
      gateway: GatewayProcess,
      user: string,
    ): Promise<ChatClient> => pool.connect(gateway, user);
    const joinAll = async (
      room: string,
      ...members: ChatClient[]
    ): Promise<void> => {
      for (const member of members)
        assert.equal((await member.request('join', { room })).event, 'joined');
    };
    const pubsubClients = (): Promise<string[]> => admin.pubsubClients();
    /** CLIENT KILL on every master; how many connections were cut in all. */
    const killClients = async (...filter: string[]): Promise<number> =>
      (await admin.onMasters('CLIENT', 'KILL', ...filter)).reduce(
        (sum: number, n) => sum + Number(n),
        0,
      );
    /** Sends from each client every `everyMs` until `stop` resolves; returns the acknowledged ids. */
    const keepSending = async (
      senders: ChatClient[],
      everyMs: number,
      stop: Promise<unknown>,
      text = (c: ChatClient, i: number) => `${c.username} ${i}`,
    ) => {
      let sending = true;
      void stop.then(() => (sending = false));
      const ids: string[] = [];
      await Promise.all(
        senders.map(async (sender) => {
          for (let i = 0; sending; i++) {
            const reply = await sender.request('send', {
              text: text(sender, i),
            });
            assert.equal(reply.event, 'sent', JSON.stringify(reply));
            ids.push(reply.data.id);
            await sleep(everyMs);
          }
        }),
      );
      return ids;
    };

    before(async () => {
      // A stall here must stay a stall: a cluster master asleep past the node timeout (1 s in the test
      // cluster) is failed over, which is cluster-failover.e2e's case, not this file's.
      store = await kind.start([
        '--enable-debug-command',
        'local',
        '--cluster-node-timeout',
        '5000',
      ]);
      admin = new StoreAdmin(store);
      [east, west] = await Promise.all([
        store.gateway(ENV),
        store.gateway(ENV),
      ]);
    });

    after(async () => {
      await pool.closeAll();
      await Promise.all([east?.stop(), west?.stop()]);
      admin?.close();
      await store?.stop();
    });

    it('delivers every acknowledged message once and in order through CLIENT KILL TYPE pubsub', async () => {
      const a = await connect(east, 'ka');
      const b = await connect(west, 'kb');
      const c = await connect(east, 'kc');
      const d = await connect(west, 'kd');
      await joinAll('killed', a, b, c, d);
      const before = await pubsubClients();
      assert.ok(before.length >= 2, 'each gateway has a pub/sub connection');

      const sent = await keepSending(
        [a, b],
        100,
        (async () => {
          await sleep(1000);
          assert.ok((await killClients('TYPE', 'pubsub')) >= 2);
          await sleep(1000);
          assert.ok(
            (await killClients('TYPE', 'pubsub')) >= 2,
            'the bus came back, and is cut again',
          );
          await sleep(1500);
        })(),
      );
      assert.ok(sent.length >= 40);
      for (const member of [a, b, c, d])
        await assertGotExactly(member, 'killed', sent);
      assert.equal(
        (await pubsubClients()).filter((id) => before.includes(id)).length,
        0,
        'the gateways subscribed again',
      );
    });

    it('delivers every acknowledged message once and in order when Redis drops a slow subscriber (output buffer limit)', async () => {
      const senders = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          connect(i % 2 ? west : east, `ob${i}`),
        ),
      );
      const c = await connect(east, 'obc');
      const d = await connect(west, 'obd');
      await joinAll('flood', ...senders, c, d);
      const before = await pubsubClients();
      const text = 'x'.repeat(1900);
      const sleeper = await admin.own(BusChannels.room('flood'));
      await admin.onMasters(
        'CONFIG',
        'SET',
        'client-output-buffer-limit',
        'pubsub 1024 512 1',
      );
      let sent: string[];
      try {
        // While Redis sleeps the sends queue up; then it runs them back to back, and each subscriber's
        // output piles up past the limit before it can be written.
        const stalled = sleeper.call('DEBUG', 'SLEEP', '0.3');
        await sleep(50);
        const replies = await Promise.all(
          senders.map((s) =>
            Promise.all(
              Array.from({ length: 5 }, () =>
                s.request('send', { text }, 8000),
              ),
            ),
          ),
        );
        await stalled;
        sent = replies.flat().map((f) => {
          assert.equal(f.event, 'sent', JSON.stringify(f));
          return f.data.id as string;
        });
      } finally {
        sleeper.disconnect();
        await admin.onMasters(
          'CONFIG',
          'SET',
          'client-output-buffer-limit',
          'pubsub 33554432 8388608 60',
        );
      }
      assert.notDeepEqual(
        await waitFor(
          async () => (await pubsubClients()).length >= 2 && pubsubClients(),
          5000,
          'the bus to reconnect',
        ),
        before,
        'Redis dropped a subscriber',
      );
      sent.push(...(await sendAll(senders[0], 1, () => 'after the flood')));
      for (const member of [...senders, c, d])
        await assertGotExactly(member, 'flood', sent);
    });

    it("never stores a send twice, nor acknowledges one it lost, when Redis cuts the gateways' command connections (CLIENT KILL TYPE normal)", async () => {
      const senders = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          connect(i % 2 ? west : east, `nk${i}`),
        ),
      );
      const c = await connect(east, 'nkc');
      const d = await connect(west, 'nkd');
      await joinAll('cut', ...senders, c, d);
      const outcome = new Map<string, Record<string, any>>();
      let sending = true;
      const loops = senders.map(async (s) => {
        for (let i = 0; sending; i++) {
          const text = `${s.username} ${i}`;
          outcome.set(text, (await s.request('send', { text }, 8000)).data);
        }
      });
      for (let k = 0; k < 6; k++) {
        await sleep(300);
        await killClients('TYPE', 'normal', 'SKIPME', 'yes');
      }
      sending = false;
      await Promise.all(loops);
      const stored = await fullHistory(c, { room: 'cut' });
      const texts = stored.map((m) => m.text);
      assert.deepEqual(
        texts.filter((t, i) => texts.indexOf(t) !== i),
        [],
        'no message is stored twice',
      );
      const byText = new Map(stored.map((m) => [m.text, m.id]));
      for (const [text, reply] of outcome) {
        assert.ok(
          ['sent', 'INTERNAL', 'TIMEOUT'].includes(reply.code ?? 'sent'),
          JSON.stringify(reply),
        );
        if (reply.code === undefined)
          assert.equal(
            byText.get(text),
            reply.id,
            `${text} was acknowledged, so it is stored with its id`,
          );
        if (reply.code === 'INTERNAL')
          assert.equal(
            byText.has(text),
            false,
            `${text} got INTERNAL, so it is not stored`,
          );
      }
      for (const member of [c, d])
        await assertGotExactly(
          member,
          'cut',
          stored.map((m) => m.id),
        );
    });

    it('answers TIMEOUT while Redis stalls past REDIS_COMMAND_TIMEOUT_MS, never delivers the timed-out send later, and a cid retry delivers it once', async () => {
      const a = await connect(east, 'sa');
      const b = await connect(west, 'sb');
      const c = await connect(east, 'sc');
      await joinAll('stall', a, b, c);
      const mastersBefore = await store.cluster?.masters();
      const sleeper = await admin.own(BusChannels.room('stall'));
      try {
        const stalled = sleeper.call('DEBUG', 'SLEEP', '2');
        await sleep(100);
        const [plain, withCid] = await Promise.all([
          a.request('send', { text: 'plain during the stall' }, 8000),
          b.request(
            'send',
            { text: 'cid during the stall', cid: 'stall-1' },
            8000,
          ),
        ]);
        for (const reply of [plain, withCid]) {
          assert.equal(reply.event, 'error', JSON.stringify(reply));
          assert.equal(reply.data.code, 'TIMEOUT');
          assert.match(reply.data.message, /same cid/);
        }
        await stalled;
      } finally {
        sleeper.disconnect();
      }
      const retry = await b.request('send', {
        text: 'cid during the stall',
        cid: 'stall-1',
      });
      assert.equal(retry.event, 'sent');
      const again = await b.request('send', {
        text: 'cid during the stall',
        cid: 'stall-1',
      });
      assert.equal(again.data.id, retry.data.id);
      const [marker] = await sendAll(a, 1, () => 'after the stall');

      for (const member of [a, b, c])
        await assertGotExactly(member, 'stall', [retry.data.id, marker]);
      const stored = await fullHistory(c, { room: 'stall' });
      assert.deepEqual(
        stored.map((m) => [m.id, m.text]),
        [
          [retry.data.id, 'cid during the stall'],
          [marker, 'after the stall'],
        ],
      );
      assert.deepEqual(
        masterPorts(await store.cluster?.masters()),
        masterPorts(mastersBefore),
        'a stall, not a failover',
      );
    });

    it("keeps a message's size on the bus independent of its sender's follower count (20,000 followers)", async () => {
      const star = await connect(east, 'star');
      const fan = await connect(west, 'fan');
      assert.equal(
        (await fan.request('subscribe', { user: 'star' })).event,
        'subscribed',
      );
      const followers = Array.from({ length: 20000 }, (_, i) => `follower${i}`);
      const followerSet = await admin.own(PubsubKeys.followers('star'));
      for (let i = 0; i < followers.length; i += 5000)
        await followerSet.sadd(
          PubsubKeys.followers('star'),
          ...followers.slice(i, i + 5000),
        );
      const sizes: number[] = [];
      // One listener per channel: on a cluster they live in different slots.
      const listeners = await Promise.all(
        [BusChannels.room('stage'), BusChannels.said('star')].map(
          async (channel) => {
            const listener = await admin.own(channel);
            listener.on('smessage', (_channel: string, body: string) =>
              sizes.push(body.length),
            );
            await listener.ssubscribe(channel);
            return listener;
          },
        ),
      );
      try {
        await star.request('join', { room: 'stage' });
        await sendAll(star, 1, () => 'hello fans');
        const copy = await fan.next(
          (f) => f.event === 'message' && f.data.text === 'hello fans',
        );
        assert.equal(
          copy.data.via,
          'subscription',
          'the local follower still gets its copy',
        );
        await waitFor(() => sizes.length >= 2, 3000, 'the bus events');
        assert.ok(
          sizes.every((size) => size < 512),
          `the bus events are ${sizes.join(', ')} bytes, not a follower list`,
        );
      } finally {
        await Promise.all(listeners.map((listener) => listener.quit()));
      }
    });

    it('puts a paused instance back: the other reaps its users, and after SIGCONT they are in who, counts and DMs again', async () => {
      const watcher = await connect(east, 'pw');
      const sleeper = await connect(west, 'ps');
      await joinAll('paused', watcher, sleeper);
      const mark = watcher.frames.length;
      west.pause();
      try {
        await watcher.next(
          (f) =>
            f.event === 'presence' &&
            f.data.user === 'ps' &&
            f.data.action === 'leave',
          3 * HEARTBEAT_MS + 5000,
          'the paused user to be reaped',
          mark,
        );
        assert.deepEqual((await watcher.request('who')).data.users, ['pw']);
        await sleep(HEARTBEAT_MS);
      } finally {
        west.resume();
      }
      await watcher.next(
        (f) =>
          f.event === 'presence' &&
          f.data.user === 'ps' &&
          f.data.action === 'join' &&
          f.data.room === 'paused',
        4 * HEARTBEAT_MS + 2000,
        'ps to be put back',
        mark,
      );
      await waitFor(
        async () =>
          (await watcher.request('who')).data.users.join() === 'ps,pw',
        4 * HEARTBEAT_MS,
        'who to name both',
      );
      await waitFor(
        async () => (await adminRoomCount(east, 'paused')) === 2,
        4 * HEARTBEAT_MS,
        'the room count to be 2',
      );
      const rooms = (await sleeper.request('rooms')).data.rooms as Array<{
        name: string;
        users: number;
      }>;
      assert.deepEqual(
        rooms.find((r) => r.name === 'paused'),
        { name: 'paused', users: 2 },
      );

      const dm = await watcher.request('dm', {
        to: 'ps',
        text: 'are you back?',
      });
      assert.equal(dm.data.delivered, true, 'ps counts as online');
      await sleeper.next(
        (f) => f.event === 'dm' && f.data.text === 'are you back?',
      );
      const [said] = await sendAll(sleeper, 1, () => 'back');
      await watcher.next((f) => f.event === 'message' && f.data.id === said);
    });

    it(`after FLUSHALL${kind.name === 'standalone' ? ' and after a Redis restart without persistence' : ' of every master'}: ids keep rising, old tokens and sessions are refused, new logins work on both instances`, async () => {
      let a = await connect(east, 'wa');
      let b = await connect(west, 'wb');
      await joinAll('wiped', a, b);
      const exchange = async (what: string): Promise<string[]> => {
        const ids = [
          ...(await sendAll(a, 3, (i) => `a ${what} ${i}`)),
          ...(await sendAll(b, 3, (i) => `b ${what} ${i}`)),
        ];
        for (const member of [a, b])
          await waitFor(
            () => ids.every((id) => roomIds(member, 'wiped').includes(id)),
            5000,
            `${member.username} to get the ${what} messages`,
          );
        return ids;
      };
      /* After the loss: the old sessions are closed with 4401, the old token is refused, and the users
       log in again (their accounts are gone, so the login registers them anew) on either instance. */
      const relogin = async (what: string, oldToken: string): Promise<void> => {
        for (const client of [a, b])
          assert.equal(
            (await client.waitClosed(3 * HEARTBEAT_MS + 3000)).code,
            4401,
            `${client.username} closed (${what})`,
          );
        await waitFor(
          async () =>
            (await upgradeStatus(west, {
              authorization: `Bearer ${oldToken}`,
            })) === 401,
          3 * HEARTBEAT_MS + 3000,
          `the old token to be refused (${what})`,
        );
        a = await connect(east, 'wa');
        b = await connect(west, 'wb');
        const token = (
          await httpsJson(east.port, 'POST', '/auth/login', {
            username: 'wa',
            password: 'pw',
          })
        ).body.token as string;
        assert.equal(
          await upgradeStatus(west, { authorization: `Bearer ${token}` }),
          'open',
          `a token from east works on west (${what})`,
        );
        await joinAll('wiped', a, b);
      };
      const before = await exchange('before');

      const oldToken = (
        await httpsJson(east.port, 'POST', '/auth/login', {
          username: 'wa',
          password: 'pw',
        })
      ).body.token as string;
      await admin.onMasters('FLUSHALL');
      await relogin('FLUSHALL', oldToken);
      assert.equal(
        await upgradeStatus(east, { authorization: `Bearer ${oldToken}` }),
        401,
        'a token from before the loss is refused',
      );
      const flushed = await exchange('after FLUSHALL');
      assert.ok(
        flushed.every((id) => id > before.at(-1)!),
        `ids after FLUSHALL (${flushed[0]}) are above those before (${before.at(-1)})`,
      );

      // Standalone only: a redis-server restarted without persistence. A cluster does not restart as a
      // whole, and a lost master's slots go to its replica (test/cluster-failover.e2e.ts).
      const redis = store.redis;
      if (redis) {
        const tokenBeforeRestart = (
          await httpsJson(east.port, 'POST', '/auth/login', {
            username: 'wa',
            password: 'pw',
          })
        ).body.token as string;
        await redis.stop();
        await redis.restart();
        await relogin('restart', tokenBeforeRestart);
        const restarted = await exchange('after the restart');
        assert.ok(
          restarted.every((id) => id > flushed.at(-1)!),
          'ids after the restart are above those before',
        );
      }
      for (const gateway of [east, west])
        assert.equal(
          gateway.log.match(/Redis lost its data/g)?.length,
          redis ? 2 : 1,
          'one ERROR line per loss',
        );
      await waitFor(
        async () => (await a.request('who')).data.users.join() === 'wa,wb',
        4 * HEARTBEAT_MS,
        'the sessions to be written back',
      );
    });
  },
);
