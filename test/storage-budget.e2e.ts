import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';

import { PubsubKeys } from '@app/pubsub';

import { ClientPool, httpsJson } from './support/chat-client';
import { GatewayProcess } from './support/gateway-process';
import { waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const TTL_SECONDS = 2;

describe('storage budget: compact text, room expiry, follow and room caps', () => {
  let redis: TestRedis;
  let store: Redis;
  let gateway: GatewayProcess;
  const pool = new ClientPool();

  before(async () => {
    redis = await TestRedis.start();
    store = new Redis(redis.url);
    gateway = await GatewayProcess.start(redis.url, {
      ROOM_HISTORY_TTL_SECONDS: String(TTL_SECONDS),
      MAX_FOLLOWS_PER_USER: '2',
      ROOMS_CREATED_PER_HOUR: '3',
    });
  });

  after(async () => {
    await pool.closeAll();
    await gateway?.stop();
    await store?.quit();
    await redis?.stop();
  });

  it('refuses control characters in text (tab and newline pass), so none is stored as a 6-byte escape', async () => {
    const ann = await pool.connect(gateway, 'ann');
    const bell = await ann.request('send', { text: 'ring\u0007' });
    assert.equal(bell.event, 'error');
    assert.equal(bell.data.code, 'BAD_REQUEST');
    assert.match(
      bell.data.message,
      /control characters other than tab and newline: found U\+0007 at character 5/,
    );
    const flood = await ann.request('send', { text: '\u0001'.repeat(2000) });
    assert.equal(flood.data.code, 'BAD_REQUEST');
    assert.match(flood.data.message, /found U\+0001 at character 1/);
    const c1 = await ann.request('send', { text: 'next line\u0085' });
    assert.match(c1.data.message, /found U\+0085/);
    const ok = await ann.request('send', { text: 'two\nlines\tok' });
    assert.equal(ok.event, 'sent');
    const stored = await store.xrange(
      PubsubKeys.roomHistory('global'),
      '-',
      '+',
    );
    assert.equal(stored.length, 1, 'only the good message is stored');
  });

  it("lets a room's history expire once everyone left, and keeps it while someone is in or comes back", async () => {
    const ann = await pool.connect(gateway, 'ann2');
    const bob = await pool.connect(gateway, 'bob2');
    const key = PubsubKeys.roomHistory('fleeting');
    await ann.request('join', { room: 'fleeting' });
    await bob.request('join', { room: 'fleeting' });
    assert.equal((await ann.request('send', { text: 'hi' })).event, 'sent');
    await ann.request('leave');
    assert.equal(await store.ttl(key), -1, 'bob is still in it');
    await bob.request('join', { room: 'elsewhere' });
    const ttl = await store.ttl(key);
    assert.ok(ttl > 0 && ttl <= TTL_SECONDS, `expires in ${ttl} s`);
    await waitFor(
      async () => (await store.exists(key)) === 0,
      TTL_SECONDS * 1000 + 3000,
      'the empty room history to expire',
    );

    const kept = PubsubKeys.roomHistory('kept');
    await ann.request('join', { room: 'kept' });
    await ann.request('send', { text: 'stay' });
    await ann.request('join', { room: 'fleeting' });
    assert.ok((await store.ttl(kept)) > 0);
    await ann.request('join', { room: 'kept' });
    assert.equal(await store.ttl(kept), -1, 'a joiner takes the expiry back');
    await bob.request('join', { room: 'kept' });
    await ann.close();
    await bob.close();
    assert.ok((await store.ttl(kept)) > 0, 'a disconnect empties it too');
    const carl = await pool.connect(gateway, 'carl2');
    await carl.request('join', { room: 'kept' });
    assert.equal(await store.ttl(kept), -1);
    const page = await carl.request('history', {});
    assert.deepEqual(
      page.data.messages.map((m: { text: string }) => m.text),
      ['stay'],
    );
    assert.equal(
      await store.ttl(PubsubKeys.roomHistory('global')),
      -1,
      'the lobby never expires',
    );
  });

  it('refuses a follow past MAX_FOLLOWS_PER_USER with FOLLOW_LIMIT; re-following and unfollowing still work', async () => {
    const fan = await pool.connect(gateway, 'fan');
    for (const star of ['star1', 'star2', 'star3'])
      await pool.connect(gateway, star);
    assert.equal(
      (await fan.request('subscribe', { user: 'star1' })).event,
      'subscribed',
    );
    assert.equal(
      (await fan.request('subscribe', { user: 'star2' })).event,
      'subscribed',
    );
    const third = await fan.request('subscribe', { user: 'star3' });
    assert.equal(third.data.code, 'FOLLOW_LIMIT');
    assert.match(
      third.data.message,
      /You follow 2 users already \(MAX_FOLLOWS_PER_USER=2\): unsubscribe from one first/,
    );
    assert.deepEqual(
      (await store.smembers(PubsubKeys.following('fan'))).sort(),
      ['star1', 'star2'],
    );
    assert.equal(
      (await fan.request('subscribe', { user: 'star1' })).event,
      'subscribed',
    );
    await fan.request('unsubscribe', { user: 'star1' });
    assert.equal(
      (await fan.request('subscribe', { user: 'star3' })).event,
      'subscribed',
    );
  });

  it('refuses a room created past ROOMS_CREATED_PER_HOUR with ROOM_LIMIT; rooms with members or history are no creation', async () => {
    const host = await pool.connect(gateway, 'host');
    const maker = await pool.connect(gateway, 'maker');
    await host.request('join', { room: 'archive' });
    await host.request('send', { text: 'for the record' });
    await host.request('join', { room: 'busy' });
    for (const room of ['new1', 'new2', 'new3'])
      assert.equal((await maker.request('join', { room })).event, 'joined');
    const fourth = await maker.request('join', { room: 'new4' });
    assert.equal(fourth.data.code, 'ROOM_LIMIT');
    assert.match(
      fourth.data.message,
      /You created 3 rooms in the last hour \(ROOMS_CREATED_PER_HOUR=3\): join a room that exists, or create one in \d+ s/,
    );
    assert.equal(
      (await maker.request('who')).data.room,
      'new3',
      'still where it was',
    );
    assert.equal(
      (await maker.request('join', { room: 'busy' })).event,
      'joined',
    );
    assert.equal(
      (await maker.request('join', { room: 'archive' })).event,
      'joined',
      'a room with history and nobody in it',
    );
    assert.equal(
      (await maker.request('join', { room: 'new1' })).data.code,
      'ROOM_LIMIT',
      'a room left empty without history is created anew',
    );
    assert.equal((await maker.request('leave')).event, 'joined');
  });
});

describe('storage budget: a full Redis (maxmemory, noeviction) refuses writes clearly and loses nothing acknowledged', () => {
  let redis: TestRedis;
  let store: Redis;
  let gateway: GatewayProcess;
  const pool = new ClientPool();

  before(async () => {
    redis = await TestRedis.start(['--maxmemory-policy', 'noeviction']);
    store = new Redis(redis.url);
    gateway = await GatewayProcess.start(redis.url);
  });

  after(async () => {
    await pool.closeAll();
    await gateway?.stop();
    await store?.quit();
    await redis?.stop();
  });

  it('answers send with a clear error, logins with 503, still serves reads, and works again once memory is freed', async () => {
    const writer = await pool.connect(gateway, 'writer');
    const reader = await pool.connect(gateway, 'reader');
    const memory = async (): Promise<number> =>
      Number(/used_memory:(\d+)/.exec(await store.info('memory'))![1]);
    const early: string[] = [];
    for (let i = 0; i < 5; i++)
      early.push((await writer.request('send', { text: `b${i}` })).data.id);
    // Sends race the moment Redis fills up: each is either acknowledged and kept, or refused and gone.
    const refs = Array.from({ length: 40 }, (_, i) => {
      if (i === 20)
        void memory().then((used) =>
          store.config('SET', 'maxmemory', String(Math.floor(used / 2))),
        );
      return writer.emit('send', { text: `m${i}`, cid: `c${i}` });
    });
    const replies = await Promise.all(
      refs.map((ref) => writer.next((f) => f.data?.ref === ref)),
    );
    const acknowledged = [
      ...early,
      ...replies.filter((f) => f.event === 'sent').map((f) => f.data.id),
    ];
    const refusals = replies.filter((f) => f.event !== 'sent');
    assert.ok(refusals.length > 0, 'Redis filled up');
    for (const refused of refusals) {
      assert.equal(refused.event, 'error');
      assert.equal(refused.data.code, 'INTERNAL');
      assert.match(
        refused.data.message,
        /The chat store is full \(Redis reached its maxmemory\), so nothing was stored.*nobody received the message/,
      );
    }
    const again = await writer.request('dm', { to: 'reader', text: 'psst' });
    assert.match(again.data.message, /chat store is full/);
    for (const [event, data] of [
      ['join', { room: 'brand-new' }],
      ['subscribe', { user: 'reader' }],
    ] as const) {
      const reply = await writer.request(event, data);
      assert.equal(reply.event, 'error', event);
      assert.match(reply.data.message, /chat store is full/, event);
    }

    const page = await reader.request('history', { limit: 200 });
    assert.equal(page.event, 'history', 'reads still work');
    assert.deepEqual(
      page.data.messages.map((m: { id: string }) => m.id),
      acknowledged,
      'every acknowledged message is stored, and only those',
    );
    assert.equal((await reader.request('who')).event, 'who');

    for (const username of ['writer', 'newcomer']) {
      const denied = await httpsJson(gateway.port, 'POST', '/auth/login', {
        username,
        password: 'pw',
      });
      assert.equal(denied.status, 503, JSON.stringify(denied.body));
      assert.match(denied.body.message, /chat store is full/);
      assert.match(String(denied.headers['retry-after']), /^[1-9]\d*$/);
    }

    await store.config('SET', 'maxmemory', '0');
    const retried = await writer.request('send', {
      text: 'after',
      cid: 'c-after',
    });
    assert.equal(retried.event, 'sent');
    const delivered = await reader.next(
      (f) => f.event === 'message' && f.data.text === 'after',
    );
    const cut = reader.frames.indexOf(delivered);
    assert.deepEqual(
      reader.frames
        .slice(0, cut)
        .filter((f) => f.event === 'message')
        .map((f) => f.data.id),
      acknowledged,
      'the reader got every acknowledged message and none of the refused',
    );
    assert.equal(reader.all((f) => f.event === 'dm').length, 0);
    assert.equal(
      (
        await httpsJson(gateway.port, 'POST', '/auth/login', {
          username: 'newcomer',
          password: 'pw',
        })
      ).status,
      200,
    );
    assert.ok(!gateway.log.includes('psst'), 'no message text in the log');
  });
});
