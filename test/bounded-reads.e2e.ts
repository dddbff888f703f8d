import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BusPattern } from '@app/pubsub';
import { ChatKeys, defineLuaCommand } from '@app/redis';

import { ChatClient, ClientPool, login } from './support/chat-client';
import { GatewayProcess, ROOT } from './support/gateway-process';
import { sleep, waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const TEXT = 'x'.repeat(2000);

const p99 = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1];

type Publish = (
  keys: string[],
  args: Array<string | number>,
) => Promise<unknown>;

/**
 * Stores and publishes messages through `publish.lua` itself, pipelined, far faster than sending them
 * over a socket. Returns their ids, oldest first.
 */
async function seed(
  redis: Redis,
  count: number,
  message: (ts: number) => { keys: string[]; args: Array<string | number> },
): Promise<string[]> {
  const publish = defineLuaCommand<[string, string]>(
    redis,
    'seedPublish',
    readFileSync(
      join(ROOT, 'dist', 'libs', 'pubsub', 'src', 'publish.lua'),
      'utf8',
    ),
  ) as Publish;
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, () => {
      const { keys, args } = message(Date.now());
      return publish(keys, args) as Promise<[string, string]>;
    });
    for (const [status, id] of await Promise.all(batch)) {
      assert.equal(status, 'ok');
      ids.push(id);
    }
  }
  return ids;
}

/** publish.lua's KEYS 1-4 and ARGV 5-11 with no rate limit, no cid and no deadline. */
const sender = (from: string): string[] => [
  ChatKeys.seq,
  ChatKeys.cid(from, ''),
  ChatKeys.rate(from),
  ChatKeys.strikes(from),
];
const unlimited = (target: string) => [10000, 0, 1e6, 1e6, 1000, 0, target];
const fields = (value: object): string => JSON.stringify(value).slice(1, -1);

const seedRoom = (
  redis: Redis,
  room: string,
  count: number,
): Promise<string[]> =>
  seed(redis, count, (ts) => ({
    keys: [
      ...sender('seeder'),
      ChatKeys.roomHistory(room),
      ChatKeys.saidHistory('seeder'),
      ChatKeys.followers('seeder'),
    ],
    args: [
      'message',
      BusPattern.Message,
      fields({ room, from: 'seeder', text: TEXT, ts }),
      '',
      ...unlimited(room),
    ],
  }));

const seedDms = (
  redis: Redis,
  from: string,
  to: string,
  count: number,
): Promise<string[]> =>
  seed(redis, count, (ts) => ({
    keys: [
      ...sender(from),
      ChatKeys.dmHistory(to),
      ChatKeys.dmHistory(from),
      ChatKeys.online(to),
      ChatKeys.dmWith(to, from),
      ChatKeys.dmWith(from, to),
      ChatKeys.dmIndexedSince,
    ],
    args: [
      'dm',
      BusPattern.Dm,
      fields({ from, to, text: TEXT, ts }),
      `,${fields({ origin: 'seed' })}`,
      ...unlimited(to),
    ],
  }));

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
    const since = (await talker.request('send', { text: 'before' })).data.id;
    const ids = await seedRoom(redis, 'gap', 1500);
    await talker.request('join', { room: 'gap' });
    const resuming = reader.request('resume', { since, room: 'gap' }, 30000);
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
    await open.next((f) => f.event === 'dm' && f.data.id === sent.data.id);
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
        client.emit('resume', { since: '0', room: 'big' });
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
        assert.equal(await redis.zcard(`chat:reads:${user}`), 2);
    } finally {
      clearInterval(sampling);
      readers.forEach((client) => client.ws.terminate());
    }
    await waitFor(
      async () => (await redis.exists('chat:reads:idle1')) === 0,
      10000,
      'the reads of closed sockets to be released',
    );
  });
});
