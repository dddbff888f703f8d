import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';

import { createRedis, redisTarget } from '@app/redis';
import { RoomsService } from '@app/rooms';

import { ChatClient, httpsJson } from './support/chat-client';
import { ChatStore, describeStores } from './support/chat-stores';
import { ADMIN_TOKEN, GatewayProcess } from './support/gateway-process';
import { sleep, waitFor } from './support/ports';

describeStores('chat across two gateway instances', (kind) => {
  let store: ChatStore;
  let east: GatewayProcess;
  let west: GatewayProcess;
  const clients: ChatClient[] = [];

  const connect = async (
    gateway: GatewayProcess,
    user: string,
  ): Promise<ChatClient> => {
    const client = await ChatClient.connect(gateway, user);
    clients.push(client);
    return client;
  };
  const roomsOf = async (
    client: ChatClient,
  ): Promise<Array<{ name: string; users: number }>> =>
    (await client.request('rooms')).data.rooms;
  const adminRooms = (gateway: GatewayProcess) =>
    httpsJson(gateway.port, 'GET', '/rooms', undefined, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });

  before(async () => {
    store = await kind.start();
    [east, west] = await Promise.all([store.gateway(), store.gateway()]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([east?.stop(), west?.stop()]);
    await store?.stop();
  });

  it('walks the seed flow: global chat, room1, rooms counts and a subscription, across instances', async () => {
    const a = await connect(east, 'a');
    const b = await connect(west, 'b');
    assert.equal(a.frames[0].data.room, 'global');
    assert.notEqual(a.frames[0].data.instance, b.frames[0].data.instance);

    const sent = await a.request('send', { text: 'hello from east' });
    assert.equal(sent.event, 'sent');
    assert.equal(sent.data.room, 'global');
    const seen = await b.next(
      (f) => f.event === 'message' && f.data.text === 'hello from east',
    );
    assert.deepEqual(Object.keys(seen.data).sort(), [
      'from',
      'id',
      'room',
      'text',
      'ts',
    ]);
    assert.equal(seen.data.from, 'a');
    assert.equal(seen.data.id, sent.data.id);
    await a.next((f) => f.event === 'message' && f.data.id === sent.data.id);

    const joinedA = await a.request('join', { room: 'room1' });
    assert.deepEqual(
      { ...joinedA.data, cursor: 'the room stream’s last id' },
      {
        ref: 'a-2',
        room: 'room1',
        users: 1,
        members: ['a'],
        cursor: 'the room stream’s last id',
        roles: { a: 'owner' },
      },
    );
    assert.match(joinedA.data.cursor, /^\d{16}$/);
    const joinedB = await b.request('join', { room: 'room1' });
    assert.equal(joinedB.data.users, 2);
    assert.deepEqual(joinedB.data.members, ['a', 'b']);
    await a.next(
      (f) =>
        f.event === 'presence' &&
        f.data.user === 'b' &&
        f.data.action === 'join' &&
        f.data.room === 'room1',
    );

    await b.request('send', { text: 'hi in room1' });
    const inRoom = await a.next(
      (f) => f.event === 'message' && f.data.text === 'hi in room1',
    );
    assert.equal(inRoom.data.room, 'room1');
    assert.equal(inRoom.data.via, undefined);

    assert.deepEqual(await roomsOf(a), [{ name: 'room1', users: 2 }]);
    assert.deepEqual(await roomsOf(b), [{ name: 'room1', users: 2 }]);
    const http = await adminRooms(west);
    assert.equal(http.status, 200);
    assert.deepEqual(http.body, {
      rooms: [{ name: 'room1', users: 2 }],
      next: null,
    });

    const subscribed = await a.request('subscribe', { user: 'b' });
    assert.deepEqual(subscribed, {
      event: 'subscribed',
      data: { ref: subscribed.data.ref, user: 'b', cursor: '0000000000000000' },
    });
    await a.request('leave');
    const since = a.frames.length;
    await b.request('send', { text: 'b speaks in room1' });
    const viaSub = await a.next(
      (f) => f.event === 'message' && f.data.text === 'b speaks in room1',
      5000,
      'subscription copy',
      since,
    );
    assert.equal(viaSub.data.via, 'subscription');
    assert.equal(viaSub.data.room, 'room1');
    await b.request('leave');
  });

  it('counts distinct users, not sessions, and keeps counts right after disconnects', async () => {
    const c1 = await connect(east, 'carol');
    const c2 = await connect(west, 'carol');
    const d = await connect(west, 'dave');
    await c1.request('join', { room: 'counts' });
    assert.equal((await c2.request('join', { room: 'counts' })).data.users, 1);
    assert.equal((await d.request('join', { room: 'counts' })).data.users, 2);
    const who = await d.request('who');
    assert.deepEqual(who.data, {
      ref: who.data.ref,
      room: 'counts',
      users: ['carol', 'dave'],
      roles: { carol: 'owner' },
    });

    await c1.close();
    await sleep(200);
    assert.deepEqual((await d.request('who', { room: 'counts' })).data.users, [
      'carol',
      'dave',
    ]);
    assert.equal(
      d.all(
        (f) =>
          f.event === 'presence' &&
          f.data.action === 'leave' &&
          f.data.room === 'counts',
      ).length,
      0,
      'carol still has a session in the room',
    );

    await c2.close();
    await d.next(
      (f) =>
        f.event === 'presence' &&
        f.data.user === 'carol' &&
        f.data.action === 'leave' &&
        f.data.room === 'counts',
    );
    const rooms = await roomsOf(d);
    assert.deepEqual(
      rooms.find((r) => r.name === 'counts'),
      { name: 'counts', users: 1 },
    );
    await d.close();
    await waitFor(
      async () =>
        !(await adminRooms(east)).body.rooms.some(
          (r: { name: string }) => r.name === 'counts',
        ),
      3000,
      'the empty room to vanish',
    );
  });

  it('delivers every room message once per session, in the same order on both instances', async () => {
    const e1 = await connect(east, 'erin');
    const f1 = await connect(west, 'frank');
    const g1 = await connect(east, 'grace');
    for (const c of [e1, f1, g1]) await c.request('join', { room: 'order' });
    await g1.request('subscribe', { user: 'erin' });

    const perSender = 30;
    await Promise.all(
      [e1, f1].map(async (c) => {
        for (let i = 0; i < perSender; i++)
          c.emit('send', { text: `${c.username} ${i}` });
      }),
    );
    const total = perSender * 2;
    const inOrder = (c: ChatClient) =>
      waitFor(
        () =>
          c.messages().filter((m) => m.room === 'order').length >= total &&
          c.messages(),
        10000,
        `${c.username} to see ${total} messages`,
      );
    const [seenE, seenF, seenG] = await Promise.all([
      inOrder(e1),
      inOrder(f1),
      inOrder(g1),
    ]);
    await sleep(300);

    const ids = (seen: Array<Record<string, any>>) =>
      seen.filter((m) => m.room === 'order').map((m) => m.id);
    assert.equal(ids(seenE).length, total, 'no message twice, none lost');
    assert.deepEqual(ids(seenE), ids(seenF));
    assert.deepEqual(
      ids(seenE),
      ids(seenG),
      'a subscriber in the room gets only the ordinary copy',
    );
    assert.deepEqual(
      ids(seenE),
      [...ids(seenE)].sort(),
      'ids rise in delivery order',
    );
    assert.equal(new Set(ids(seenE)).size, total);
    assert.ok(g1.messages().every((m) => m.via === undefined));
    for (const c of [e1, f1]) {
      const own = c
        .messages()
        .filter((m) => m.from === c.username)
        .map((m) => Number(m.text.split(' ')[1]));
      assert.deepEqual(
        own,
        [...Array(perSender).keys()],
        `${c.username}'s own messages keep their order`,
      );
    }
  });

  it('keeps a DM between its two users, even from subscribers of the sender', async () => {
    const h = await connect(east, 'heidi');
    const hOther = await connect(west, 'heidi');
    const i = await connect(west, 'ivan');
    const snoop = await connect(east, 'snoop');
    await snoop.request('subscribe', { user: 'heidi' });
    await snoop.request('subscribe', { user: 'ivan' });

    const sent = await h.request('dm', { to: 'ivan', text: 'secret' });
    assert.deepEqual(Object.keys(sent.data).sort(), [
      'delivered',
      'id',
      'ref',
      'to',
    ]);
    const got = await i.next((f) => f.event === 'dm');
    assert.deepEqual(
      { ...got.data, ts: 0, id: 'in ivan’s inbox' },
      {
        id: 'in ivan’s inbox',
        from: 'heidi',
        to: 'ivan',
        text: 'secret',
        ts: 0,
      },
    );
    assert.match(got.data.id, /^\d{16}$/, 'an id of the recipient’s own inbox');
    await hOther.next((f) => f.event === 'dm' && f.data.id === sent.data.id);
    await i.request('dm', { to: 'heidi', text: 'reply' });
    await h.next((f) => f.event === 'dm' && f.data.text === 'reply');
    await sleep(300);
    assert.equal(
      h.all((f) => f.event === 'dm' && f.data.text === 'secret').length,
      0,
      'the sending session gets only `sent`',
    );
    assert.equal(
      snoop.all((f) => f.event === 'dm' || JSON.stringify(f).includes('secret'))
        .length,
      0,
    );
  });

  it('keeps a subscription across reconnects and for every session of the subscriber, until unsubscribe', async () => {
    const judy = await connect(east, 'judy');
    const kim = await connect(west, 'kim');
    await kim.request('subscribe', { user: 'judy' });
    await kim.close();

    const kim1 = await connect(east, 'kim');
    const kim2 = await connect(west, 'kim');
    await kim2.request('join', { room: 'elsewhere' });
    await judy.request('join', { room: 'judys' });
    await judy.request('send', { text: 'judy 1' });
    for (const k of [kim1, kim2]) {
      const m = await k.next(
        (f) => f.event === 'message' && f.data.text === 'judy 1',
      );
      assert.equal(m.data.via, 'subscription');
      assert.equal(m.data.room, 'judys');
    }
    await judy.request('leave');
    await judy.request('send', { text: 'judy in global' });
    const direct = await kim1.next(
      (f) => f.event === 'message' && f.data.text === 'judy in global',
    );
    assert.equal(
      direct.data.via,
      undefined,
      'kim1 is in global: the ordinary copy only',
    );
    await kim2.next(
      (f) =>
        f.event === 'message' &&
        f.data.text === 'judy in global' &&
        f.data.via === 'subscription',
    );

    assert.equal(
      (await kim1.request('unsubscribe', { user: 'judy' })).event,
      'unsubscribed',
    );
    await judy.request('join', { room: 'judys' });
    await judy.request('send', { text: 'judy 2' });
    await sleep(400);
    assert.equal(kim2.all((f) => f.data.text === 'judy 2').length, 0);
    assert.equal(
      kim1.all((f) => f.event === 'message' && f.data.text === 'judy 1').length,
      1,
      'never twice on one session',
    );
  });

  it('ignores a spoofed `from` and always names the authenticated user', async () => {
    const mallory = await connect(west, 'mallory');
    const victim = await connect(east, 'victim');
    mallory.emit('send', { text: 'I am victim', from: 'victim' });
    const m = await victim.next(
      (f) => f.event === 'message' && f.data.text === 'I am victim',
    );
    assert.equal(m.data.from, 'mallory');
    const dm = await mallory.request('dm', {
      to: 'victim',
      text: 'spoofed dm',
      from: 'victim',
    });
    assert.equal(dm.event, 'sent');
    assert.equal(
      (await victim.next((f) => f.event === 'dm')).data.from,
      'mallory',
    );
  });

  it('guards GET /rooms with CHAT_ADMIN_TOKEN', async () => {
    assert.equal((await httpsJson(east.port, 'GET', '/rooms')).status, 401);
    assert.equal(
      (
        await httpsJson(east.port, 'GET', '/rooms', undefined, {
          authorization: 'Bearer wrong-token-wrong-token',
        })
      ).status,
      401,
    );
    const ok = await adminRooms(east);
    assert.equal(ok.status, 200);
    assert.ok(ok.body.rooms.some((r: { name: string }) => r.name === 'global'));
    const names = ok.body.rooms.map((r: { name: string }) => r.name);
    assert.deepEqual(names, [...names].sort());
  });

  it('pages GET /rooms by name with ?cursor=&limit=, and answers 400 to a bad limit or cursor', async () => {
    const client = createRedis(
      redisTarget({ REDIS_URL: '', ...store.env }),
      {},
      {},
    );
    const seeder = new RoomsService(client, 'seeder');
    const seeded = Array.from({ length: 250 }, (_, i) => ({
      id: `seeder/${i}`,
      username: `p${i}`,
      room: `page-${String(i).padStart(3, '0')}`,
    }));
    const get = (query: string) =>
      httpsJson(west.port, 'GET', `/rooms${query}`, undefined, {
        authorization: `Bearer ${ADMIN_TOKEN}`,
      });
    try {
      for (const s of seeded) await seeder.move(s, '', s.room);
      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const page = await get(
          `?limit=100${cursor && `&cursor=${encodeURIComponent(cursor)}`}`,
        );
        assert.equal(page.status, 200);
        assert.ok(page.body.rooms.length <= 100);
        seen.push(...page.body.rooms.map((r: { name: string }) => r.name));
        cursor = page.body.next ?? '';
        pages++;
      } while (cursor);
      assert.deepEqual(seen, [...seen].sort(), 'by name');
      assert.equal(new Set(seen).size, seen.length, 'each room once');
      assert.deepEqual(
        seen.filter((name) => name.startsWith('page-')),
        seeded.map((s) => s.room),
      );
      assert.equal(pages, Math.ceil(seen.length / 100));
      assert.equal((await get('')).body.rooms.length, 100, 'default 100');

      for (const limit of ['0', '1001', 'x', '2.5']) {
        const bad = await get(`?limit=${limit}`);
        assert.equal(bad.status, 400, `limit=${limit}`);
        assert.match(
          bad.body.message,
          /limit must be a whole number from 1 to 1000/,
        );
      }
      const bad = await get('?cursor=bm9wZQ');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /pass the "next" of the previous page/);
    } finally {
      for (const s of seeded) await seeder.move(s, s.room, '');
      client.disconnect();
    }
  });
});
