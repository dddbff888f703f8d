import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BusChannels, BusPattern, PubsubKeys } from '@app/pubsub';
import { defineLuaCommand } from '@app/redis';

import { ChatClient, ClientPool, login } from './support/chat-client';
import { GatewayProcess, ROOT } from './support/gateway-process';
import { sleep, waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const TEXT = 'x'.repeat(2000);

const p99 = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1];

type Append = (
  keys: string[],
  args: Array<string | number>,
) => Promise<[string, string]>;

/**
 * Stores and publishes messages through the store step `append.lua` itself, pipelined, far faster than
 * sending them over a socket. Returns the ids `stream` gave them, oldest first.
 */
async function seed(
  redis: Redis,
  count: number,
  copies: (ts: number, n: number) => Step[],
): Promise<string[]> {
  const append = defineLuaCommand<[string, string]>(
    redis,
    'seedAppend',
    readFileSync(
      join(ROOT, 'dist', 'libs', 'pubsub', 'src', 'append.lua'),
      'utf8',
    ),
  ) as Append;
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from(
      { length: Math.min(500, count - start) },
      async (_, i) => {
        let last: [string, string] = ['', ''];
        for (const { keys, args } of copies(Date.now(), start + i))
          last = await append(keys, args);
        return last;
      },
    );
    for (const [status, id] of await Promise.all(batch)) {
      assert.equal(status, 'ok');
      ids.push(id);
    }
  }
  return ids;
}

interface Step {
  keys: string[];
  args: Array<string | number>;
}

const fields = (value: object): string => JSON.stringify(value).slice(1, -1);
let seeded = 0;

/** One copy as `append.lua` takes it: no deadline, a fresh token. */
const copy = (
  keys: [seq: string, history: string, index?: string],
  done: string,
  body: string,
  extra: string,
  channel: string,
  kind: BusPattern,
  stream: string,
): Step => ({
  keys: [done, ...keys].filter((key): key is string => key !== undefined),
  args: [60, 0, body, extra, 10000, channel, kind, stream, '1'],
});

const seedRoom = (
  redis: Redis,
  room: string,
  count: number,
  channel = BusChannels.room(room),
): Promise<string[]> =>
  seed(redis, count, (ts) => [
    copy(
      [PubsubKeys.roomSeq(room), PubsubKeys.roomHistory(room)],
      PubsubKeys.roomDone(room, `seed${++seeded}`),
      fields({ room, from: 'seeder', text: TEXT, ts }),
      '',
      channel,
      BusPattern.Message,
      `room:${room}`,
    ),
  ]);

/** DMs as the store steps write them: the sender's inbox copy, then the recipient's (whose ids are returned). */
const seedDms = (
  redis: Redis,
  from: string,
  to: string,
  count: number,
): Promise<string[]> =>
  seed(redis, count, (ts) => {
    const body = fields({ from, to, text: TEXT, ts });
    const token = `seed${++seeded}`;
    return [
      copy(
        [
          PubsubKeys.inboxSeq(from),
          PubsubKeys.inbox(from),
          PubsubKeys.dmWith(from, to),
        ],
        PubsubKeys.userDone(from, token),
        body,
        `,${fields({ user: from, origin: 'seed' })}`,
        BusChannels.user(from),
        BusPattern.Dm,
        'dm',
      ),
      copy(
        [
          PubsubKeys.inboxSeq(to),
          PubsubKeys.inbox(to),
          PubsubKeys.dmWith(to, from),
        ],
        PubsubKeys.userDone(to, token),
        body,
        `,${fields({ user: to })}`,
        BusChannels.user(to),
        BusPattern.Dm,
        'dm',
      ),
    ];
  });

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

const dmIds = (client: ChatClient): string[] =>
  client.all((f) => f.event === 'dm').map((f) => f.data.id as string);

describe('bounded reads: paged, paced replays and unread DMs', () => {
  let server: TestRedis;
  let redis: Redis;
  let gateway: GatewayProcess;
  const pool = new ClientPool();

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
    gateway = await GatewayProcess.start(server.url);
  });

  after(async () => {
    await pool.closeAll();
    await gateway?.stop();
    await redis?.quit();
    await server?.stop();
  });

  it('sends a 1,500-DM offline catch-up (3 MB) to a reading client whole, in order and uncut', async () => {
    await login(gateway, 'catchfrom');
    await login(gateway, 'catchto');
    const ids = await seedDms(redis, 'catchfrom', 'catchto', 1500);
    const client = await pool.connect(gateway, 'catchto');
    assert.equal(client.frames[0].data.unreadDms, 1500);
    const marker = await client.request('who', {}, 30000);
    assert.equal(marker.event, 'who');
    assert.equal(client.closed, undefined, 'not cut for being behind');
    assert.deepEqual(dmIds(client), ids);
  });

  it('replays a 3 MB resume gap to a reading client whole, uncut, before the live frames', async () => {
    const reader = await pool.connect(gateway, 'gapreader');
    const talker = await pool.connect(gateway, 'gaptalker');
    await talker.request('join', { room: 'gap' });
    const since = (await talker.request('send', { text: 'before' })).data.id;
    // The 1,500 are written straight into the stream, not through the bus: an instance serving the room
    // meanwhile would see them as a bus gap and fill it live (unpaced). So nobody is in the room on this
    // instance while they are written; the talker comes back once the replay has started.
    await talker.request('leave');
    const ids = await seedRoom(redis, 'gap', 1500);
    const resuming = reader.resume({ 'room:gap': since }, 'gap', 30000);
    await talker.request('join', { room: 'gap' });
    const live = await talker.request('send', { text: 'live meanwhile' });
    const resumed = await resuming;
    assert.equal(resumed.event, 'resumed', JSON.stringify(resumed));
    assert.equal(resumed.data.complete, true);
    assert.ok([1500, 1501].includes(resumed.data.count));
    await reader.next((f) => f.data?.id === live.data.id, 10000, 'live');
    assert.equal(reader.closed, undefined);
    assert.deepEqual(
      reader.messages().map((m) => m.id),
      [...ids, live.data.id],
    );
  });

  it('fills a 3 MB bus gap to a reader in the room paced, whole, in order and before the live frames', async () => {
    const reader = await pool.connect(gateway, 'livegapreader');
    const talker = await pool.connect(gateway, 'livegaptalker');
    await reader.request('join', { room: 'livegap' });
    await talker.request('join', { room: 'livegap' });
    const first = await talker.request('send', { text: 'before' });
    await reader.next((f) => f.data?.id === first.data.id, 10000, 'before');
    // Stored, but published where nobody listens: the instance learns of them from the next event's `prev`.
    const ids = await seedRoom(redis, 'livegap', 1500, 'bus:{r:nobody}');
    const live = await Promise.all(
      ['live 1', 'live 2', 'live 3'].map((text) =>
        talker.request('send', { text }),
      ),
    );
    const lastLive = live.map((reply) => reply.data.id as string).sort()[2];
    await reader.next((f) => f.data?.id === lastLive, 30000, 'the live ones');
    const marker = await reader.request('who', {}, 10000);
    assert.equal(marker.event, 'who');
    assert.equal(reader.closed, undefined, 'not cut for being behind');
    assert.deepEqual(
      reader.messages().map((m) => m.id),
      [first.data.id, ...ids, ...live.map((reply) => reply.data.id).sort()],
    );
    assert.equal(reader.all((f) => f.event === 'error').length, 0);
  });

  it('counts DMs of a catch-up cut short as unread at the next login', async () => {
    await login(gateway, 'cutfrom');
    const { token } = await login(gateway, 'cutto');
    const ids = await seedDms(redis, 'cutfrom', 'cutto', 1500);
    const first = await ChatClient.open(gateway, 'cutto', token);
    await first.next((f) => f.event === 'dm' && f.data.id === ids[199]);
    first.ws.terminate();
    await first.waitClosed();
    const received = new Set(dmIds(first));
    const later = await pool.connect(gateway, 'cutto');
    const unread = later.frames[0].data.unreadDms as number;
    assert.ok(unread > 0, 'the DMs not delivered are still unread');
    await later.request('who', {}, 30000);
    const replayed = new Set(dmIds(later));
    assert.equal(replayed.size, unread);
    // A DM counts as seen once written to the connection: only those still in its buffers when it dropped may be lost.
    const lost = ids.filter((id) => !received.has(id) && !replayed.has(id));
    const next = ids.indexOf(dmIds(first).at(-1)!) + 1;
    assert.deepEqual(lost, ids.slice(next, next + lost.length));
    assert.ok(lost.length * TEXT.length < 1024 * 1024, `${lost.length} lost`);
    assert.deepEqual(
      ids.filter((id) => !received.has(id) && !lost.includes(id)),
      [...replayed],
      'the rest is replayed, in order',
    );
  });

  it('does not show a DM as missed when another session of the user got it live', async () => {
    const sender = await pool.connect(gateway, 'awayfrom');
    const open = await pool.connect(gateway, 'awayto');
    await open.request('who');
    const sent = await sender.request('dm', { to: 'awayto', text: 'hello' });
    assert.equal(sent.event, 'sent');
    await open.next((f) => f.event === 'dm' && f.data.text === 'hello');
    const later = await waitFor(
      async () => {
        const client = await pool.connect(gateway, 'awayto');
        if (client.frames[0].data.unreadDms === 0) return client;
        await client.close();
        return undefined;
      },
      3000,
      'a login that shows no DM as missed',
    );
    await later.request('who');
    assert.deepEqual(dmIds(later), []);
  });

  it('keeps Redis memory bounded and others fast while 30 sockets resume 10,000 messages without reading', async () => {
    const ids = await seedRoom(redis, 'big', 10000);
    assert.equal(ids.length, 10000);
    const baseline = await usedMemory(redis);
    const readers: ChatClient[] = [];
    for (const user of ['idle1', 'idle2', 'idle3']) {
      const { token } = await login(gateway, user);
      for (let i = 0; i < 10; i++) {
        const client = await ChatClient.open(gateway, user, token);
        readers.push(client);
        await client.next((f) => f.event === 'welcome');
      }
    }
    const probe = await pool.connect(gateway, 'probe');
    const echo = await pool.connect(gateway, 'echo');
    await probe.request('join', { room: 'quiet' });
    await echo.request('join', { room: 'quiet' });
    let peak = baseline;
    const sampling = setInterval(
      () =>
        void usedMemory(redis).then(
          (used) => (peak = Math.max(peak, used)),
          () => undefined,
        ),
      50,
    );
    try {
      for (const client of readers) {
        client.emit('resume', {
          cursors: { 'room:big': '0' },
          room: 'big',
        });
        (
          client.ws as unknown as { _socket: { pause(): void } }
        )._socket.pause();
      }
      const times: number[] = [];
      for (let i = 0; i < 100; i++) {
        const start = process.hrtime.bigint();
        const sent = await probe.request('send', { text: `probe ${i}` }, 10000);
        await echo.next((f) => f.data?.id === sent.data.id, 10000, 'echo');
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        await sleep(20);
      }
      const grown = peak - baseline;
      console.log(
        `used_memory ${baseline} -> peak ${peak} (+${(grown / 2 ** 20).toFixed(1)} MiB); round trip p99 ${p99(times).toFixed(1)} ms`,
      );
      assert.ok(grown < 16 * 2 ** 20, `Redis grew by ${grown} bytes`);
      assert.ok(p99(times) < 200, `p99 ${p99(times)} ms`);
      for (const user of ['idle1', 'idle2', 'idle3'])
        assert.equal(await redis.zcard(PubsubKeys.reads(user)), 2);
    } finally {
      clearInterval(sampling);
      readers.forEach((client) => client.ws.terminate());
    }
    await waitFor(
      async () => (await redis.exists(PubsubKeys.reads('idle1'))) === 0,
      10000,
      'the reads of closed sockets to be released',
    );
  });
});
