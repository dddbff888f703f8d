import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

import { ReplicaWait } from '@app/redis';

import { TestRedis } from '../../../test/support/redis-server';
import { BusService } from './bus.service';
import { BusChannels } from './bus-channels';
import { ChatBus } from './chat-bus.service';
import { PubsubKeys } from './pubsub-keys';

const testBusConfig = (): ConfigService =>
  new ConfigService({
    HISTORY_MAX_PER_ROOM: 1000,
    HISTORY_MAX_DMS_PER_USER: 1000,
    CID_TTL_SECONDS: 60,
    STORE_TOKEN_TTL_SECONDS: 60,
    RATE_LIMIT_PER_SECOND: 1000,
    RATE_LIMIT_BURST: 1000,
    RATE_LIMIT_STRIKES: 1000,
    REDIS_COMMAND_TIMEOUT_MS: 60000,
  });

type Script = (...args: unknown[]) => Promise<unknown>;

/** Stores step by step, as on a cluster where the sender's and the stream's slots differ. */
class AsOnACluster extends ChatBus {
  protected override readonly oneNode = false;
}

const shapes = [
  ['in one script where it can (standalone)', ChatBus],
  ['step by step (as on a cluster)', AsOnACluster],
] as const;

for (const [shape, Bus] of shapes)
  describe(`${ChatBus.name}, storing ${shape}`, () => {
    const together = Bus === ChatBus;
    let server: TestRedis;
    let redis: Redis;
    let listener: Redis;
    let sut: ChatBus;
    const heard: string[] = [];
    /**
     * How the next store steps reach Redis: once, twice (a re-send after a failover), or with the step after
     * the claim cut off: a lone append never sent, a claim run with its append losing its reply.
     */
    let mode: 'once' | 'twice' | 'fail-append' = 'once';
    /** The store scripts run, by name, in order. */
    const calls: string[] = [];

    before(async () => {
      server = await TestRedis.start();
      redis = new Redis(server.url);
      new ChatBus(
        redis,
        testBusConfig(),
        {} as BusService,
        new ReplicaWait(redis, testBusConfig()),
      );
      const scripts = redis as unknown as Record<string, Script>;
      for (const name of ['chatClaim', 'chatAppend', 'chatClaimAppend']) {
        const original = scripts[name].bind(redis);
        scripts[name] = async (...args) => {
          calls.push(name);
          if (mode === 'fail-append' && name === 'chatAppend')
            throw new Error('Connection is closed.');
          if (mode === 'twice') await original(...args);
          const reply = await original(...args);
          if (mode === 'fail-append' && name === 'chatClaimAppend')
            throw new Error('Connection is closed.');
          return reply;
        };
      }
      sut = new Bus(
        redis,
        testBusConfig(),
        {} as BusService,
        new ReplicaWait(redis, testBusConfig()),
      );
      listener = new Redis(server.url);
      listener.on('smessage', (channel: string, body: string) =>
        heard.push(`${channel} ${JSON.parse(body).k}`),
      );
      await listener.ssubscribe(
        BusChannels.room('lobby'),
        BusChannels.said('ann'),
        BusChannels.user('ann'),
        BusChannels.user('bob'),
      );
      await redis.sadd(PubsubKeys.followers('ann'), 'cat');
    });

    beforeEach(async () => {
      mode = 'once';
      heard.length = 0;
      calls.length = 0;
      await redis.del(
        PubsubKeys.roomHistory('lobby'),
        PubsubKeys.said('ann'),
        PubsubKeys.inbox('ann'),
        PubsubKeys.inbox('bob'),
      );
    });

    after(async () => {
      await listener?.quit();
      await redis?.quit();
      await server?.stop();
    });

    /* Every event published so far has arrived: a marker sent after them came back. */
    const settled = async (): Promise<void> => {
      await redis.call('SPUBLISH', BusChannels.room('lobby'), '{"k":"marker"}');
      while (!heard.includes(`${BusChannels.room('lobby')} marker`))
        await new Promise((resolve) => setImmediate(resolve));
      heard.splice(heard.indexOf(`${BusChannels.room('lobby')} marker`), 1);
    };

    it('stores and publishes a room message once when every step is sent twice (re-send after a failover)', async () => {
      mode = 'twice';
      const outcome = await sut.publishMessage('lobby', {
        from: 'ann',
        text: 'hi',
      });
      assert.equal(outcome.status, 'ok');
      await settled();
      assert.equal(await redis.xlen(PubsubKeys.roomHistory('lobby')), 1);
      assert.equal(await redis.xlen(PubsubKeys.said('ann')), 1);
      assert.deepEqual(heard.sort(), [
        `${BusChannels.room('lobby')} message`,
        `${BusChannels.said('ann')} said`,
      ]);
    });

    it('stores each inbox copy of a DM once when every step is sent twice', async () => {
      mode = 'twice';
      const outcome = await sut.publishDm(
        'bob',
        { from: 'ann', text: 'psst', cid: 'd1' },
        'ann/1',
      );
      assert.ok(outcome.status === 'ok' || outcome.status === 'dup');
      await settled();
      assert.equal(await redis.xlen(PubsubKeys.inbox('ann')), 1);
      assert.equal(await redis.xlen(PubsubKeys.inbox('bob')), 1);
      assert.deepEqual(heard.sort(), [
        `${BusChannels.user('ann')} dm`,
        `${BusChannels.user('bob')} dm`,
      ]);
    });

    it('completes a store cut short after the claim when the client retries with the same cid, and only then', async () => {
      mode = 'fail-append';
      assert.deepEqual(
        await sut.publishMessage('lobby', {
          from: 'ann',
          text: 'hi',
          cid: 'c1',
        }),
        { status: 'unknown' },
      );
      assert.equal(
        await redis.xlen(PubsubKeys.roomHistory('lobby')),
        together ? 1 : 0,
        'one script stores whole or not at all; step by step, the append was never sent',
      );
      mode = 'once';
      const retry = await sut.publishMessage('lobby', {
        from: 'ann',
        text: 'hi',
        cid: 'c1',
      });
      assert.equal(retry.status, 'dup');
      const again = await sut.publishMessage('lobby', {
        from: 'ann',
        text: 'hi',
        cid: 'c1',
      });
      assert.deepEqual(again, retry);
      await settled();
      assert.equal(await redis.xlen(PubsubKeys.roomHistory('lobby')), 1);
      assert.equal(
        heard.filter((h) => h === `${BusChannels.room('lobby')} message`)
          .length,
        1,
      );
      assert.deepEqual(
        await sut.publishDm('bob', { from: 'ann', text: 'hi', cid: 'c1' }, 'x'),
        { status: 'conflict', target: 'lobby', kind: 'message' },
      );
    });

    it('runs the claim and the first copy in one script where their slots are on one node', async () => {
      await sut.publishMessage('lobby', { from: 'bob', text: 'no followers' });
      await sut.publishDm('ann', { from: 'bob', text: 'hey' }, 'x');
      assert.deepEqual(
        calls,
        together
          ? ['chatClaimAppend', 'chatClaimAppend', 'chatAppend']
          : ['chatClaim', 'chatAppend', 'chatClaimAppend', 'chatAppend'],
        "a DM's sender copy is in the sender's slot, so it is one script on a cluster too",
      );
    });

    it('stamps each stream with its own ids, each event naming the one before it in its stream', async () => {
      const events: Array<Record<string, string>> = [];
      const tap = (_channel: string, body: string): void =>
        void events.push(JSON.parse(body));
      listener.on('smessage', tap);
      await sut.publishMessage('lobby', { from: 'ann', text: '1' });
      await sut.publishMessage('lobby', { from: 'ann', text: '2' });
      await settled();
      listener.off('smessage', tap);
      const room = events.filter((e) => e.stream === 'room:lobby');
      const said = events.filter((e) => e.stream === 'said:ann');
      assert.equal(room.length, 2);
      assert.equal(room[1].prev, room[0].id);
      assert.equal(said[1].prev, said[0].id);
      assert.equal(Object.keys(room[0])[0], 'k');
      assert.equal(
        await redis.get(PubsubKeys.roomSeq('lobby')),
        String(BigInt(room[1].id)),
      );
    });

    it('waits for replicas after each store step, on the stream it stored (REDIS_STORE_WAIT_REPLICAS)', async () => {
      const waited: string[] = [];
      const replicas = {
        afterStore: async (key: string) => {
          waited.push(key);
          return { required: 1, acknowledged: 1, ok: true };
        },
      } as unknown as ReplicaWait;
      const bus = new Bus(redis, testBusConfig(), {} as BusService, replicas);
      await bus.publishMessage('lobby', { from: 'ann', text: 'hi' });
      await bus.publishDm('bob', { from: 'ann', text: 'psst' }, 'x');
      assert.deepEqual(waited, [
        PubsubKeys.roomHistory('lobby'),
        PubsubKeys.said('ann'),
        PubsubKeys.inbox('ann'),
        PubsubKeys.inbox('bob'),
      ]);
    });

    it('refuses a banned or muted sender in the store step, until the end it was given, and stores nothing', async () => {
      await sut.silence('lobby', 'ann', 'mute', 0);
      assert.deepEqual(
        await sut.publishMessage('lobby', { from: 'ann', text: 'hush' }),
        { status: 'silenced', kind: 'mute', until: 0 },
      );
      await sut.silence('lobby', 'ann', 'mute', undefined);
      const until = Date.now() + 60000;
      await sut.silence('lobby', 'ann', 'ban', until);
      assert.deepEqual(
        await sut.publishMessage('lobby', { from: 'ann', text: 'out' }),
        { status: 'silenced', kind: 'ban', until },
      );
      assert.equal(await redis.xlen(PubsubKeys.roomHistory('lobby')), 0);
      assert.equal(await redis.xlen(PubsubKeys.said('ann')), 0);
      await sut.silence('lobby', 'ann', 'ban', Date.now() - 1);
      assert.equal(
        (await sut.publishMessage('lobby', { from: 'ann', text: 'back' }))
          .status,
        'ok',
        'an ended ban refuses nothing',
      );
      await redis.del(PubsubKeys.roomSilenced('lobby'));
    });

    it("gives a private room's follow copy its readers, asked only when the sender has followers", async () => {
      let asked = 0;
      const readers = async (): Promise<string[]> => {
        asked++;
        return ['cat'];
      };
      await sut.publishMessage(
        'lobby',
        { from: 'ann', text: 'inner' },
        readers,
      );
      const [[, fields]] = await redis.xrange(PubsubKeys.said('ann'), '-', '+');
      assert.deepEqual(JSON.parse(fields[1]).readers, ['cat']);
      const [[, roomFields]] = await redis.xrange(
        PubsubKeys.roomHistory('lobby'),
        '-',
        '+',
      );
      assert.equal(JSON.parse(roomFields[1]).readers, undefined);
      await sut.publishMessage('lobby', { from: 'bob', text: 'x' }, readers);
      assert.equal(asked, 1, 'bob has no followers');
    });

    it('stores a notice in the room stream, after the messages, without a rate or cid', async () => {
      await sut.publishMessage('lobby', { from: 'ann', text: 'before' });
      const id = await sut.publishNotice('lobby', {
        room: 'lobby',
        by: 'ann',
        action: 'kick',
        user: 'bob',
      });
      const entries = await redis.xrange(
        PubsubKeys.roomHistory('lobby'),
        '-',
        '+',
      );
      const last = JSON.parse(entries[entries.length - 1][1][1]);
      assert.equal(last.id, id);
      assert.equal(last.action, 'kick');
      assert.equal(entries.length, 2);
    });
  });
