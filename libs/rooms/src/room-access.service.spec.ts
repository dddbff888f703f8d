import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';

import { TestRedis } from '../../../test/support/redis-server';
import { RoomAccessService, RoomAction } from './room-access.service';
import { RoomsKeys } from './rooms-keys';
import { RoomsService } from './rooms.service';

describe(RoomAccessService.name, () => {
  let server: TestRedis;
  let redis: Redis;
  let rooms: RoomsService;
  let sut: RoomAccessService;

  before(async () => {
    server = await TestRedis.start();
    redis = new Redis(server.url);
    rooms = new RoomsService(redis, 'east');
    sut = new RoomAccessService(redis, rooms);
  });

  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  /* A room owned by `own`, with operators `op1` and `op2` and member `mem` in it. */
  const room = async (name: string): Promise<void> => {
    assert.deepEqual(await sut.enter(name, 'own'), {
      allowed: true,
      created: true,
    });
    let n = 0;
    for (const user of ['own', 'op1', 'op2', 'mem']) {
      if (user !== 'own') await sut.enter(name, user);
      await rooms.move({ id: `east/${name}/${++n}`, username: user }, '', name);
    }
    for (const op of ['op1', 'op2'])
      assert.equal((await sut.act(name, 'op', 'own', op, '')).done, true);
  };
  const refusal = async (
    name: string,
    action: RoomAction,
    actor: string | undefined,
    target: string,
  ): Promise<string> => {
    const result = await sut.act(name, action, actor, target, '0');
    return result.done ? 'done' : result.refusal;
  };

  it('gives each role only its rights (the roles matrix)', async () => {
    await room('matrix');
    const cases: Array<[string | undefined, RoomAction, string, string]> = [
      ['mem', 'kick', 'op1', 'role'],
      ['mem', 'topic', '', 'role'],
      ['op1', 'op', 'mem', 'owner-only'],
      ['op1', 'deop', 'op2', 'owner-only'],
      ['op1', 'owner', 'op1', 'self'],
      ['op1', 'kick', 'op2', 'target'],
      ['op1', 'ban', 'own', 'target'],
      ['op1', 'mute', 'own', 'target'],
      ['own', 'kick', 'own', 'self'],
      ['op1', 'mute', 'mem', 'done'],
      ['op1', 'invite', 'someone', 'done'],
      ['own', 'kick', 'op1', 'done'],
      ['own', 'deop', 'op2', 'done'],
      [undefined, 'op', 'own', 'owner-target'],
      [undefined, 'kick', 'own', 'done'],
    ];
    for (const [actor, action, target, expected] of cases)
      assert.equal(
        await refusal('matrix', action, actor, target),
        expected,
        `${actor ?? 'admin'} ${action} ${target}`,
      );
    assert.equal(
      await refusal('global', 'kick', 'own', 'mem'),
      'role',
      'only admins moderate the lobby',
    );
  });

  it('takes a kicked user out of the room in the same step, and keeps the index in step', async () => {
    await room('kicks');
    const result = await sut.act('kicks', 'kick', 'own', 'mem', '');
    assert.deepEqual(result, { done: true, removed: ['east/kicks/4'] });
    assert.deepEqual(await rooms.who('kicks'), ['op1', 'op2', 'own']);
    const listed = (await rooms.list()).find((r) => r.name === 'kicks');
    assert.equal(listed?.users, 3);
    assert.deepEqual(await sut.enter('kicks', 'mem'), {
      allowed: true,
      created: false,
    });
  });

  it('bans for a time or until lifted, and refuses the join meanwhile', async () => {
    await room('bans');
    const before = Date.now();
    const timed = await sut.act('bans', 'ban', 'own', 'mem', '60');
    assert.ok(timed.done && timed.until! >= before + 59000);
    const entry = await sut.enter('bans', 'mem');
    assert.equal(entry.allowed, false);
    const forever = await sut.act('bans', 'ban', 'own', 'mem', '0');
    assert.ok(forever.done && forever.until === 0);
    assert.deepEqual(await sut.enter('bans', 'mem'), {
      allowed: false,
      refusal: 'banned',
      until: 0,
    });
    await sut.act('global', 'ban', undefined, 'mem', '0');
    assert.equal(
      (await sut.enter('global', 'mem')).allowed,
      true,
      'a ban in the lobby keeps nobody out of it',
    );
    await redis.hset(RoomsKeys.roomBans('bans'), 'mem', String(Date.now() - 1));
    assert.equal(
      (await sut.enter('bans', 'mem')).allowed,
      true,
      'an ended ban is forgotten',
    );
  });

  it('lets only members and invited users into a private room; an invite is used once and expires', async () => {
    await room('secret');
    assert.equal(
      (await sut.act('secret', 'private', 'own', '', '1')).done,
      true,
    );
    const settings = await sut.settings('secret');
    assert.deepEqual(settings, {
      owner: 'own',
      ops: ['op1', 'op2'],
      private: true,
    });
    assert.equal(await sut.canRead('secret', 'mem'), true);
    assert.equal(await sut.canRead('secret', 'stranger'), false);
    assert.deepEqual(await sut.enter('secret', 'stranger'), {
      allowed: false,
      refusal: 'not-invited',
    });
    await sut.act('secret', 'invite', 'op1', 'guest', '3600');
    assert.equal((await sut.enter('secret', 'guest')).allowed, true);
    assert.deepEqual((await sut.readers('secret'))?.sort(), [
      'guest',
      'mem',
      'op1',
      'op2',
      'own',
    ]);
    await sut.act('secret', 'invite', 'op1', 'late', '3600');
    await redis.hset(RoomsKeys.roomInvites('secret'), 'late', '1');
    assert.equal(
      (await sut.enter('secret', 'late')).allowed,
      false,
      'an expired invite',
    );
    assert.equal(await sut.readers('open-room'), undefined);
  });
});
