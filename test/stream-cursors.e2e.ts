import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';

import { PROTOCOL } from '@app/protocol';
import { PubsubKeys } from '@app/pubsub';

import { deliveredIds, sendAll } from './support/chat-checks';
import { ChatClient, ClientPool, Frame, login } from './support/chat-client';
import { CA, GatewayProcess } from './support/gateway-process';
import { TestRedis } from './support/redis-server';

/** The frames after `welcome` up to the `resumed` reply. */
const replayOf = (client: ChatClient, resumed: Frame): Frame[] =>
  client.frames.slice(
    client.frames.findIndex((f) => f.event === 'welcome') + 1,
    client.frames.indexOf(resumed),
  );

/** An upgrade as a v1 client made it (no subprotocol): the status and body of the refusal. */
function v1Upgrade(
  gateway: GatewayProcess,
  token: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: 'localhost',
      port: gateway.port,
      path: '/ws',
      ca: CA,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        authorization: `Bearer ${token}`,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', () => reject(new Error('a v1 client was upgraded')));
    req.on('error', reject);
    req.end();
  });
}

describe('protocol v2: per-stream cursors, resume, lost writes', () => {
  let redis: TestRedis;
  let store: Redis;
  let gateway: GatewayProcess;
  const pool = new ClientPool();

  before(async () => {
    redis = await TestRedis.start();
    store = new Redis(redis.url);
    gateway = await GatewayProcess.start(redis.url);
  });

  after(async () => {
    await pool.closeAll();
    await store?.quit();
    await gateway?.stop();
    await redis?.stop();
  });

  it('refuses a v1 client with 426 and says to update it', async () => {
    const { token } = await login(gateway, 'oldie');
    const refused = await v1Upgrade(gateway, token);
    assert.equal(refused.status, 426);
    assert.match(
      refused.body,
      new RegExp(
        `protocol v2 \\(WebSocket subprotocol ${PROTOCOL}\\).*update the client`,
      ),
    );
  });

  it('resumes each stream from its own cursor: a room, the DMs and a followed user, with unrelated ids', async () => {
    const xena = await pool.connect(gateway, 'xena');
    const sam = await pool.connect(gateway, 'sam');
    const dora = await pool.connect(gateway, 'dora');
    const star = await pool.connect(gateway, 'star');
    await xena.request('join', { room: 'both' });
    await sam.request('join', { room: 'both' });
    await star.request('join', { room: 'stage' });
    await xena.request('subscribe', { user: 'star' });
    const [seen] = await sendAll(sam, 1, () => 'seen');
    await xena.next((f) => f.event === 'message' && f.data.id === seen);
    const dmSeen = await dora.request('dm', { to: 'xena', text: 'dm seen' });
    assert.equal(dmSeen.event, 'sent');
    await xena.next((f) => f.event === 'dm' && f.data.text === 'dm seen');
    const cursors = { ...xena.cursors };
    assert.deepEqual(Object.keys(cursors).sort(), [
      'dm',
      'room:both',
      'room:global',
      'said:star',
    ]);
    await xena.close();

    const room = await sendAll(sam, 4, (i) => `room ${i}`);
    const said = await sendAll(star, 2, (i) => `star ${i}`);
    for (let i = 0; i < 2; i++)
      await dora.request('dm', { to: 'xena', text: `dm ${i}` });

    const again = await pool.connect(gateway, 'xena');
    const resumed = await again.resume(cursors, 'both');
    assert.deepEqual(
      { ...resumed.data, ref: 0 },
      { ref: 0, count: 8, complete: true, missing: [] },
    );
    const replay = replayOf(again, resumed);
    const byStream = (stream: string): string[] =>
      replay
        .filter((f) =>
          stream === 'dm'
            ? f.event === 'dm'
            : f.event === 'message' &&
              (f.data.via ? `said:${f.data.from}` : `room:${f.data.room}`) ===
                stream,
        )
        .map((f) => f.data.text);
    assert.deepEqual(byStream('room:both'), [
      'room 0',
      'room 1',
      'room 2',
      'room 3',
    ]);
    assert.deepEqual(byStream('said:star'), ['star 0', 'star 1']);
    assert.deepEqual(byStream('dm'), ['dm 0', 'dm 1']);
    assert.equal(replay.length, 8, 'nothing else, nothing twice');
    assert.ok(room.every((id) => deliveredIds(replay).includes(id)));
    assert.ok(said.every((id) => !room.includes(id)));
  });

  it('says plainly when a cursor is above the stream’s counter (acknowledged messages were lost)', async () => {
    const kai = await pool.connect(gateway, 'kai');
    const resumed = await kai.resume(
      { 'room:ahead': '9000000000000000', dm: '0000000000000000' },
      'ahead',
    );
    assert.deepEqual(
      { ...resumed.data, ref: 0 },
      { ref: 0, count: 0, complete: false, missing: ['room:ahead'] },
    );
  });

  it('tells the readers of a stream that went back (a failover lost written messages), never silence, and goes on', async () => {
    const ann = await pool.connect(gateway, 'ann');
    const bob = await pool.connect(gateway, 'bob');
    await ann.request('join', { room: 'back' });
    await bob.request('join', { room: 'back' });
    const [a, b, c] = await sendAll(bob, 3, (i) => `kept ${i}`);
    await ann.next((f) => f.event === 'message' && f.data.id === c);
    const cursors = { ...ann.cursors };
    // What a replica promoted before it had b and c holds: the stream and its counter as of a.
    await store.xdel(
      PubsubKeys.roomHistory('back'),
      `${BigInt(b)}-0`,
      `${BigInt(c)}-0`,
    );
    await store.set(PubsubKeys.roomSeq('back'), String(BigInt(a)));

    const [d] = await sendAll(bob, 1, () => 'after the failover');
    const warning = await ann.next(
      (f) => f.event === 'error' && f.data.code === 'MESSAGES_MISSING',
    );
    assert.match(warning.data.message, /room:back/);
    const next = await ann.next(
      (f) => f.event === 'message' && f.data.id === d,
    );
    assert.ok(ann.frames.indexOf(warning) < ann.frames.indexOf(next));

    await ann.close();
    const again = await pool.connect(gateway, 'ann');
    const resumed = await again.resume(cursors, 'back');
    assert.equal(resumed.data.complete, false);
    assert.deepEqual(resumed.data.missing, ['room:back']);
    assert.deepEqual(
      deliveredIds(replayOf(again, resumed)),
      [d],
      'what is still there comes, with the loss said',
    );
  });
});
