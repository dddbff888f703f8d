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

  it('counts distinct users per room across instances and reports who joined or left', async () => {
    const a1 = { id: 'east/1', username: 'a' };
    const a2 = { id: 'west/1', username: 'a' };
    const b = { id: 'west/2', username: 'b' };
    assert.deepEqual(await sut.join(a1, 'global'), { from: null, userLeft: false, userJoined: true, users: 1 });
    assert.deepEqual(await peer.join(a2, 'global'), { from: null, userLeft: false, userJoined: false, users: 1 });
    await peer.join(b, 'global');
    assert.deepEqual(await sut.join(a1, 'r1'), { from: 'global', userLeft: false, userJoined: true, users: 1 });
    assert.deepEqual(await peer.join(a2, 'r1'), { from: 'global', userLeft: true, userJoined: false, users: 1 });
    assert.deepEqual(await sut.list(), [
      { name: 'global', users: 1 },
      { name: 'r1', users: 1 },
    ]);
    assert.deepEqual(await sut.join(a1, 'r1'), { from: 'r1', userLeft: false, userJoined: false, users: 1 }, 'joining the same room changes nothing');
    assert.equal(await sut.isOnline('a'), true);

    assert.deepEqual(await sut.exit(a1), { from: 'r1', userLeft: false, userJoined: false, users: 0 });
    assert.deepEqual(await peer.exit(a2), { from: 'r1', userLeft: true, userJoined: false, users: 0 });
    assert.equal(await sut.isOnline('a'), false);
    assert.deepEqual(await sut.exit(a2), { from: null, userLeft: false, userJoined: false, users: 0 }, 'a second exit is a no-op');
    assert.deepEqual(await sut.list(), [{ name: 'global', users: 1 }]);
    await peer.exit(b);
  });

  it('reaps the sessions of an instance whose heartbeat lapsed, and only then', async () => {
    await peer.heartbeat(60_000);
    await peer.join({ id: 'west/9', username: 'ghost' }, 'haunt');
    assert.deepEqual(await sut.reapDeadInstances(), [], 'alive: nothing reaped');
    await redis.del('chat:instance:west:alive');
    assert.deepEqual(await sut.reapDeadInstances(), [{ room: 'haunt', user: 'ghost' }]);
    assert.deepEqual(await sut.who('haunt'), []);
    assert.equal(await sut.isOnline('ghost'), false);
  });

  it('writes live sessions back after Redis lost them, and drops the ones that are gone', async () => {
    await redis.flushall();
    await sut.join({ id: 'east/6', username: 'stale' }, 'old');
    await sut.resync([{ id: 'east/7', username: 'kept', room: 'lost' }]);
    assert.deepEqual(await sut.list(), [{ name: 'lost', users: 1 }]);
    assert.deepEqual(await sut.who('lost'), ['kept']);
  });
});
