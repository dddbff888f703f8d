import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { TestRedis } from '../../../test/support/redis-server';
import { RoomsKeys } from './rooms-keys';
import { BadRoomCursorError, RoomsService } from './rooms.service';

describe(RoomsService.name, () => {
  let server: TestRedis;
  let redis: Redis;
  let sut: RoomsService;
  let peer: RoomsService;

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
    sut = new RoomsService(redis, 'east');
    peer = new RoomsService(redis, 'west');
  });

  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  const move = (
    userLeft: boolean,
    userJoined: boolean,
    users: number,
    offline = false,
    emptied = false,
  ) => ({ userLeft, userJoined, users, offline, emptied });

  it('counts distinct users per room across instances and reports who joined or left', async () => {
    const a1 = { id: 'east/1', username: 'a' };
    const a2 = { id: 'west/1', username: 'a' };
    const b = { id: 'west/2', username: 'b' };
    assert.deepEqual(await sut.move(a1, '', 'global'), move(false, true, 1));
    assert.deepEqual(await peer.move(a2, '', 'global'), move(false, false, 1));
    await peer.move(b, '', 'global');
    assert.deepEqual(await sut.move(a1, 'global', 'r1'), move(false, true, 1));
    assert.deepEqual(await peer.move(a2, 'global', 'r1'), move(true, false, 1));
    assert.deepEqual(await sut.list(), [
      { name: 'global', users: 1 },
      { name: 'r1', users: 1 },
    ]);
    assert.deepEqual(
      await sut.move(a1, 'r1', 'r1'),
      move(false, false, 1),
      'joining the same room changes nothing',
    );
    assert.equal(await sut.isOnline('a'), true);

    assert.deepEqual(await sut.move(a1, 'r1', ''), move(false, false, 0));
    assert.deepEqual(
      await peer.move(a2, 'r1', ''),
      move(true, false, 0, true, true),
      'the last user out empties the room',
    );
    assert.equal(await sut.isOnline('a'), false);
    assert.deepEqual(
      await sut.move(a2, '', ''),
      move(false, false, 0),
      'a second exit is a no-op',
    );
    assert.deepEqual(await sut.list(), [{ name: 'global', users: 1 }]);
    await peer.move(b, 'global', '');
  });

  it('follows the recorded room when this instance believed another (a move that timed out but happened)', async () => {
    const s = { id: 'east/3', username: 'c' };
    await sut.move(s, '', 'global');
    await sut.move(s, 'global', 'r2');
    assert.deepEqual(
      await sut.move(s, 'global', 'r3'),
      move(true, true, 1, false, true),
    );
    assert.deepEqual(await sut.who('r2'), []);
    await sut.move(s, 'r3', '');
  });

  it("tells whether a room has members, and counts a user's room creations per hour", async () => {
    const s = { id: 'east/20', username: 'maker' };
    assert.equal(await sut.occupied('made'), false);
    await sut.move(s, '', 'made');
    assert.equal(await sut.occupied('made'), true);
    await sut.move(s, 'made', '');
    assert.equal(await sut.occupied('made'), false);
    assert.equal(await sut.countCreation('maker', 2), 0);
    assert.equal(await sut.countCreation('maker', 2), 0);
    const wait = await sut.countCreation('maker', 2);
    assert.ok(wait > 3500 && wait <= 3600, `waits ${wait} s`);
    assert.equal(await sut.countCreation('other', 2), 0);
  });

  it('leaves the DM-seen mark alone when the last session of a user exits (only DMs sent to a client count as seen)', async () => {
    await redis.set('chat:seq', '42');
    await sut.move({ id: 'east/4', username: 'd' }, '', 'global');
    await sut.move({ id: 'east/4', username: 'd' }, 'global', '');
    assert.equal(await redis.get('chat:dm-seen:d'), null);
  });

  it('counts open sessions per client address with the session record, once however often it is closed', async () => {
    const e1 = { id: 'east/11', username: 'e', address: '10.0.0.9' };
    const e2 = { id: 'east/12', username: 'e', address: '10.0.0.9' };
    assert.deepEqual(await sut.open(e1, 'global'), move(false, true, 1));
    await sut.open(e2, 'global');
    const caps = { perUser: 2, perAddress: 3 };
    const e3 = { id: 'east/13', username: 'e', address: '10.0.0.9' };
    assert.deepEqual(await sut.admit(e3, caps), {
      admitted: false,
      cap: 'user',
      open: 2,
    });
    await sut.close(e1, 'global');
    await sut.close(e1, 'global');
    assert.deepEqual(await sut.admit(e3, caps), { admitted: true });
    assert.deepEqual(
      await sut.close(e2, 'global'),
      move(true, false, 0, false, true),
    );
    assert.deepEqual(await sut.close(e3, ''), move(false, false, 0, true));
    assert.equal(await redis.exists('chat:{a:10.0.0.9}:sessions'), 0);
  });

  it('admits parallel sessions atomically up to the caps, counts an admitted one once, and gives a never-opened one back', async () => {
    const caps = { perUser: 3, perAddress: 100 };
    const tries = Array.from({ length: 10 }, (_, i) => ({
      id: `${i % 2 ? 'west' : 'east'}/2${i}`,
      username: 'f',
      address: '10.0.0.7',
    }));
    const verdicts = await Promise.all(
      tries.map((ref, i) => (i % 2 ? peer : sut).admit(ref, caps)),
    );
    const admitted = tries.filter((_, i) => verdicts[i].admitted);
    assert.equal(admitted.length, 3);
    assert.equal(await redis.hlen('chat:{u:f}:sessions'), 3);
    const [first, second, third] = admitted;
    const instance = (ref: { id: string }): RoomsService =>
      ref.id.startsWith('west') ? peer : sut;
    assert.deepEqual(
      await instance(first).open(first, 'global'),
      move(false, true, 1),
    );
    assert.equal(await redis.hlen('chat:{u:f}:sessions'), 3, 'counted once');
    await instance(second).close(second, '');
    assert.equal(await redis.hlen('chat:{u:f}:sessions'), 2);
    assert.equal(
      await redis.get('chat:dm-seen:f'),
      null,
      'a session that never opened saw no DMs',
    );
    await instance(third).close(third, 'global');
    await instance(first).close(first, 'global');
    assert.equal(await sut.isOnline('f'), false);
    await Promise.all([sut.heartbeat(60_000), peer.heartbeat(60_000)]);
    await peer.reapDeadInstances();
    const perAddress = { perUser: 100, perAddress: 1 };
    const g = { id: 'east/31', username: 'g', address: '10.0.0.8' };
    assert.deepEqual(await sut.admit(g, perAddress), { admitted: true });
    assert.deepEqual(
      await peer.admit({ ...g, id: 'west/31', username: 'h' }, perAddress),
      { admitted: false, cap: 'address', open: 1 },
    );
    await sut.close(g, '');
  });

  it('reaps the sessions of an instance whose heartbeat lapsed, and only then, and tells it so', async () => {
    await peer.heartbeat(60_000);
    await peer.move({ id: 'west/9', username: 'ghost' }, '', 'haunt');
    assert.deepEqual(
      await sut.reapDeadInstances(),
      { departures: [], reaped: [] },
      'alive: nothing reaped',
    );
    await redis.del('chat:{i:west}:alive');
    assert.deepEqual(await sut.reapDeadInstances(), {
      departures: [{ room: 'haunt', user: 'ghost', emptied: true }],
      reaped: [{ instance: 'west', sessions: 1 }],
    });
    assert.deepEqual(
      await sut.reapDeadInstances(),
      { departures: [], reaped: [] },
      'reaped once',
    );
    assert.deepEqual(await sut.who('haunt'), []);
    assert.equal(await sut.isOnline('ghost'), false);
    assert.deepEqual(await peer.heartbeat(60_000), {
      lapsed: true,
      reaped: true,
    });
    assert.deepEqual(await peer.heartbeat(60_000), {
      lapsed: false,
      reaped: false,
    });
  });

  it("lists the live instances' public addresses, this one first, and drops a dead one after reaping", async () => {
    await sut.heartbeat(60_000, 'https://127.0.0.1:8000');
    await peer.heartbeat(60_000, 'https://127.0.0.1:8081');
    await sut.reapDeadInstances();
    assert.deepEqual(sut.instanceUrls(), [
      'https://127.0.0.1:8000',
      'https://127.0.0.1:8081',
    ]);
    await peer.reapDeadInstances();
    assert.deepEqual(peer.instanceUrls(), [
      'https://127.0.0.1:8081',
      'https://127.0.0.1:8000',
    ]);
    await redis.del('chat:{i:west}:alive');
    await sut.reapDeadInstances();
    assert.deepEqual(sut.instanceUrls(), ['https://127.0.0.1:8000']);
    await peer.retire();
    await sut.retire();
  });

  it('writes live sessions back after Redis lost them, and drops the ones that are gone', async () => {
    await redis.flushall();
    await sut.move({ id: 'east/6', username: 'stale' }, '', 'old');
    const moves = await sut.resync([
      { id: 'east/7', username: 'kept', room: 'lost', address: '10.0.0.1' },
    ]);
    assert.equal(moves[0].move.userJoined, true);
    assert.deepEqual(await sut.list(), [{ name: 'lost', users: 1 }]);
    assert.deepEqual(await sut.who('lost'), ['kept']);
  });

  it('pages the rooms index by name with an opaque cursor, and refuses a cursor it did not hand out', async () => {
    await redis.flushall();
    const names = ['e', 'a', 'd', 'c', 'b'];
    for (const [i, name] of names.entries())
      await sut.move({ id: `east/p${i}`, username: `u${i}` }, '', name);
    await peer.move({ id: 'west/p9', username: 'u9' }, '', 'c');
    const first = await sut.page(undefined, 2);
    assert.deepEqual(first.rooms, [
      { name: 'a', users: 1 },
      { name: 'b', users: 1 },
    ]);
    assert.ok(first.next && !first.next.includes('b'), 'opaque');
    const second = await sut.page(first.next!, 2);
    assert.deepEqual(second.rooms, [
      { name: 'c', users: 2 },
      { name: 'd', users: 1 },
    ]);
    assert.deepEqual(await sut.page(second.next!, 2), {
      rooms: [{ name: 'e', users: 1 }],
      next: null,
    });
    assert.deepEqual(await sut.page(undefined, 5), {
      rooms: (await sut.list()).slice(0, 5),
      next: null,
    });
    await assert.rejects(sut.page('bm90LWEtY3Vyc29y', 2), BadRoomCursorError);
    await assert.rejects(sut.page('a b', 2), BadRoomCursorError);
  });

  it('keeps the newest count of a room in the index whatever order the steps reach it, and forgets an emptied room', async () => {
    const lua = readFileSync(join(__dirname, 'rooms-index.lua'), 'utf8');
    const index = (room: string, users: number, version: number) =>
      redis.eval(
        lua,
        3,
        RoomsKeys.roomsIndex,
        RoomsKeys.roomsCounts,
        RoomsKeys.roomsGone,
        room,
        users,
        version,
      );
    assert.equal(await index('late', 4, 1733000000000002), 1);
    assert.equal(await index('late', 3, 1733000000000001), 0, 'older: kept 4');
    assert.deepEqual(
      (await sut.page(undefined, 100)).rooms.find((r) => r.name === 'late'),
      { name: 'late', users: 4 },
    );
    assert.equal(await index('late', 0, 1733000000000003), 1);
    assert.equal(await index('late', 2, 1733000000000002), 0, 'emptied last');
    assert.equal(
      (await sut.page(undefined, 100)).rooms.some((r) => r.name === 'late'),
      false,
    );
  });

  it('undoes a move a dead instance left half-done: every room its record names, its user and its address', async () => {
    await redis.flushall();
    await peer.heartbeat(60_000);
    const s = { id: 'west/h1', username: 'half', address: '10.0.0.5' };
    await peer.admit(s, { perUser: 5, perAddress: 5 });
    await peer.open(s, 'from');
    // The record step of a move to 'to' ran; the room steps did not.
    await redis.hset(
      RoomsKeys.instanceSessions('west'),
      s.id,
      JSON.stringify({ u: 'half', a: '10.0.0.5', r: 'to', p: 'from' }),
    );
    await redis.del(RoomsKeys.instanceAlive('west'));
    const reaping = await sut.reapDeadInstances();
    assert.deepEqual(reaping.reaped, [{ instance: 'west', sessions: 1 }]);
    assert.deepEqual(await sut.who('from'), []);
    assert.deepEqual(await sut.who('to'), []);
    assert.equal(await sut.isOnline('half'), false);
    assert.equal(await redis.exists(RoomsKeys.addressSessions('10.0.0.5')), 0);
    assert.deepEqual(await sut.list(), []);
  });

  it('repairs a live session whose last move was cut after its record step, at its next move', async () => {
    await redis.flushall();
    const s = { id: 'east/h2', username: 'cut' };
    await sut.move(s, '', 'one');
    await redis.hset(
      RoomsKeys.instanceSessions('east'),
      s.id,
      JSON.stringify({ u: 'cut', a: '', r: 'two', p: 'one' }),
    );
    assert.deepEqual(
      await sut.move(s, 'one', 'three'),
      move(false, true, 1),
      'retried from the recorded room',
    );
    assert.deepEqual(await sut.who('one'), [], "the cut move's exit, done");
    assert.deepEqual(await sut.list(), [{ name: 'three', users: 1 }]);
    await sut.move(s, 'three', '');
  });

  it('puts right, in its reaping passes, an index count that a move cut before the index step left behind', async () => {
    await redis.flushall();
    const s = { id: 'east/c1', username: 'stuck' };
    await sut.move(s, '', 'ghost');
    // The room's exit step ran; its index step did not.
    const lua = readFileSync(join(__dirname, 'presence.lua'), 'utf8');
    await redis.eval(
      lua,
      3,
      RoomsKeys.roomSessions('ghost'),
      RoomsKeys.roomUsers('ghost'),
      RoomsKeys.roomVersion('ghost'),
      'exit',
      s.id,
      s.username,
    );
    assert.deepEqual(await sut.list(), [{ name: 'ghost', users: 1 }]);
    await sut.reapDeadInstances();
    assert.deepEqual(await sut.list(), []);
  });
});
