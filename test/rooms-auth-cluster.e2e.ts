import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import Redis, { Cluster } from 'ioredis';

import {
  AuthKeys,
  AuthService,
  JwtSecret,
  LoginThrottle,
  PasswordHasher,
  RetryLaterException,
  TokenRevocations,
  UsersService,
  WsTickets,
} from '@app/auth';
import { RoomsKeys, RoomsService } from '@app/rooms';

import { keySlot, TestRedisCluster } from './support/redis-cluster';

const SETTINGS = {
  REGISTRATION: 'open',
  PASSWORD_MIN_LENGTH: 1,
  ARGON2_MEMORY_KIB: 1024,
  ARGON2_TIME_COST: 1,
  ARGON2_PARALLELISM: 1,
  HASH_CONCURRENCY: 2,
  HASH_QUEUE_LIMIT: 1000,
  LOGIN_MAX_FAILURES: 3,
  LOGIN_MAX_FAILURES_PER_ADDRESS: 1000,
  LOGIN_MAX_FAILURES_PER_ACCOUNT: 1000,
  LOGIN_FAILURE_WINDOW_SECONDS: 60,
  REGISTRATIONS_PER_ADDRESS: 2,
  REGISTRATION_WINDOW_SECONDS: 3600,
  REGISTRATIONS_PER_HOUR: 1000,
  WS_TICKET_TTL_MS: 30000,
};

/*
 * The rooms and auth services on a real Redis Cluster (3 masters + 3 replicas on loopback): every script,
 * MULTI and pipeline of theirs stays in one slot, so none answers CROSSSLOT, and the answers are the
 * standalone ones. The services get an ioredis Cluster where the gateway gives them a Redis.
 */
describe('rooms and auth on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;
  let redis: Redis;

  before(async () => {
    cluster = await TestRedisCluster.start();
    client = new Cluster(
      cluster.nodesSetting.split(',').map((hostPort) => {
        const [host, port] = hostPort.split(':');
        return { host, port: Number(port) };
      }),
    );
    redis = client as unknown as Redis;
  });

  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('spreads the keys of one move over several masters', async () => {
    const slots = [
      RoomsKeys.instanceSessions('east'),
      RoomsKeys.roomUsers('r1'),
      RoomsKeys.userSessions('a'),
      RoomsKeys.roomsIndex,
    ].map(keySlot);
    const masters = await Promise.all(
      slots.map(async (slot) => (await cluster.masterOfSlot(slot)).port),
    );
    assert.ok(new Set(masters).size > 1, `masters ${masters}`);
  });

  it('admits, moves, counts, lists, pages, reaps and resyncs sessions as on standalone', async () => {
    const east = new RoomsService(redis, 'east');
    const west = new RoomsService(redis, 'west');
    await Promise.all([east.heartbeat(60_000), west.heartbeat(60_000)]);

    const caps = { perUser: 3, perAddress: 100 };
    const tries = Array.from({ length: 10 }, (_, i) => ({
      id: `${i % 2 ? 'west' : 'east'}/${i}`,
      username: 'a',
      address: '10.1.0.1',
    }));
    const serving = (ref: { id: string }): RoomsService =>
      ref.id.startsWith('west') ? west : east;
    const verdicts = await Promise.all(
      tries.map((ref) => serving(ref).admit(ref, caps)),
    );
    const admitted = tries.filter((_, i) => verdicts[i].admitted);
    assert.equal(admitted.length, 3, 'the user cap holds across instances');
    assert.deepEqual(
      verdicts.find((v) => !v.admitted),
      { admitted: false, cap: 'user', open: 3 },
    );
    const [a1, a2, a3] = admitted;
    await serving(a3).close(a3, '');

    assert.equal((await serving(a1).open(a1, 'global')).userJoined, true);
    assert.equal((await serving(a2).open(a2, 'global')).userJoined, false);
    const b = { id: 'west/b', username: 'b', address: '10.1.0.2' };
    await west.open(b, 'global');
    const moved = await serving(a1).move(a1, 'global', 'r1');
    assert.deepEqual(moved, {
      userLeft: false,
      userJoined: true,
      users: 1,
      offline: false,
      emptied: false,
    });
    assert.deepEqual(await east.who('global'), ['a', 'b']);
    assert.deepEqual(await west.list(), [
      { name: 'global', users: 2 },
      { name: 'r1', users: 1 },
    ]);
    const first = await east.page(undefined, 1);
    assert.deepEqual(first.rooms, [{ name: 'global', users: 2 }]);
    assert.deepEqual(await east.page(first.next!, 1), {
      rooms: [{ name: 'r1', users: 1 }],
      next: null,
    });
    assert.equal(await east.occupied('r1'), true);
    assert.equal(await east.isOnline('a'), true);
    assert.equal(await east.countCreation('a', 1), 0);
    assert.ok((await east.countCreation('a', 1)) > 0);

    await redis.del(RoomsKeys.instanceAlive('west'));
    const reaping = await east.reapDeadInstances();
    assert.deepEqual(
      reaping.reaped.map((r) => r.instance),
      ['west'],
    );
    const onWest = (ref: { id: string }) => serving(ref) === west;
    assert.deepEqual(
      reaping.departures.map((d) => `${d.user}@${d.room}`).sort(),
      [
        'b@global',
        ...(onWest(a1) ? ['a@r1'] : []),
        ...(onWest(a2) ? ['a@global'] : []),
      ].sort(),
    );
    assert.equal(await east.isOnline('b'), false);
    assert.deepEqual(await west.heartbeat(60_000), {
      lapsed: true,
      reaped: true,
    });

    const moves = await west.resync([{ ...b, room: 'global' }]);
    assert.equal(moves[0].move.userJoined, true);
    assert.equal(await east.isOnline('b'), true);
    await west.close(b, 'global');
    await serving(a1).close(a1, 'r1');
    await serving(a2).close(a2, 'global');
    assert.equal(await east.isOnline('a'), false);
    assert.deepEqual(await east.list(), []);
    await east.retire();
    await west.retire();
  });

  it('logs in, throttles guesses, limits registrations, revokes tokens and redeems tickets', async () => {
    const config = new ConfigService(SETTINGS);
    const hasher = new PasswordHasher(config);
    await hasher.onModuleInit();
    const secret = new JwtSecret(new ConfigService({}), redis);
    await redis.set(AuthKeys.legacyJwtSecret, 'the-secret-before-the-cluster');
    await secret.refresh();
    assert.equal(
      await redis.get(AuthKeys.jwtSecret),
      'the-secret-before-the-cluster',
      'the pre-cluster secret is kept',
    );
    const jwt = new JwtService({
      secretOrKeyProvider: () => secret.current,
      signOptions: { expiresIn: 60 },
    });
    const revocations = new TokenRevocations(redis);
    const sut = new AuthService(
      config,
      hasher,
      'cluster-test',
      jwt,
      revocations,
      new LoginThrottle(redis, config),
      new WsTickets(redis, config),
      new UsersService(redis, config, hasher),
    );

    const ann = await sut.login('Ann', 'right', 'ip1');
    assert.equal(ann.created, true);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => sut.login('ann', `g${i}`, 'ip1')),
    );
    const reasons = results.map((r) =>
      r.status === 'rejected' ? r.reason : r.value,
    );
    assert.equal(
      reasons.filter((r) => r instanceof UnauthorizedException).length,
      3,
    );
    assert.equal(
      reasons.filter((r) => r instanceof RetryLaterException).length,
      9,
    );
    assert.equal((await sut.login('ann', 'right', 'ip2')).username, 'Ann');

    await sut.login('new1', 'pw', 'ip9');
    await assert.rejects(
      sut.login('new2', 'pw', 'ip9').then(() => sut.login('new3', 'pw', 'ip9')),
      /Too many new accounts/,
    );

    await redis.hset(
      AuthKeys.legacyAccount('Old'),
      'hash',
      await argon2.hash('pw'),
      'createdAt',
      1,
    );
    assert.equal((await sut.login('Old', 'pw', 'ip1')).username, 'Old');
    assert.equal(await redis.exists(AuthKeys.legacyAccount('Old')), 0);
    assert.equal(await redis.hget(AuthKeys.account('old'), 'name'), 'Old');

    const claims = (await sut.verify(ann.token))!;
    const ticket = await sut.issueTicket(claims);
    const upgrade = await sut.authenticateUpgrade(
      {},
      `/ws?ticket=${ticket.ticket}`,
    );
    assert.equal(upgrade.claims?.sub, 'Ann');
    const mark = await revocations.mark();
    await sut.logout(claims, false, 'ip1');
    assert.notEqual(await revocations.mark(), mark);
    assert.equal(await sut.verify(ann.token), null);
    const other = await sut.login('ann', 'right', 'ip3');
    const otherClaims = (await sut.verify(other.token))!;
    assert.deepEqual(
      await revocations.revokedAmong([claims, otherClaims]),
      new Set([claims.jti]),
    );
    await sut.logout(otherClaims, true, 'ip1');
    assert.equal(await sut.verify(other.token), null);
  });
});
