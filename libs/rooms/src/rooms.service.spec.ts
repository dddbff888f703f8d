import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';

import { TestRedis } from '../../../test/support/redis-server';
import { RoomsService } from './rooms.service';

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
  ) => ({ userLeft, userJoined, users, offline });

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
    assert.deepEqual(await peer.move(a2, 'r1', ''), move(true, false, 0, true));
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
    assert.deepEqual(await sut.move(s, 'global', 'r3'), move(true, true, 1));
    assert.deepEqual(await sut.who('r2'), []);
    await sut.move(s, 'r3', '');
  });

  it('marks the DMs up to the last id as seen when the last session of a user exits', async () => {
    await redis.set('chat:seq', '42');
    await sut.move({ id: 'east/4', username: 'd' }, '', 'global');
    await sut.move({ id: 'east/4', username: 'd' }, 'global', '');
    assert.equal(await redis.get('chat:dm-seen:d'), '42');
  });

  it('counts open sessions per client address with the session record, once however often it is closed', async () => {
    const e1 = { id: 'east/11', username: 'e', address: '10.0.0.9' };
    const e2 = { id: 'east/12', username: 'e', address: '10.0.0.9' };
    assert.deepEqual(await sut.open(e1, 'global'), move(false, true, 1));
    await sut.open(e2, 'global');
    assert.deepEqual(await sut.admission('e', '10.0.0.9'), {
      sessions: 2,
      fromAddress: 2,
    });
    await sut.close(e1, 'global');
    await sut.close(e1, 'global');
    assert.deepEqual(await sut.admission('e', '10.0.0.9'), {
      sessions: 1,
      fromAddress: 1,
    });
    assert.deepEqual(await sut.close(e2, 'global'), move(true, false, 0, true));
    assert.equal(
      await redis.hexists('chat:instance:east:addresses', '10.0.0.9'),
      0,
    );
  });

  it('reaps the sessions of an instance whose heartbeat lapsed, and only then, and tells it so', async () => {
    await peer.heartbeat(60_000);
    await peer.move({ id: 'west/9', username: 'ghost' }, '', 'haunt');
    assert.deepEqual(
      await sut.reapDeadInstances(),
      { departures: [], reaped: [] },
      'alive: nothing reaped',
    );
    await redis.del('chat:instance:west:alive');
    assert.deepEqual(await sut.reapDeadInstances(), {
      departures: [{ room: 'haunt', user: 'ghost' }],
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
    await redis.del('chat:instance:west:alive');
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
});
