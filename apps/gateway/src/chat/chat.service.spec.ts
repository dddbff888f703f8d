import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';

import { UsersService } from '@app/auth';
import { ErrorCode } from '@app/protocol';
import {
  ChatBus,
  HistoryService,
  ReadLeases,
  Outcome,
  SubscriptionsService,
} from '@app/pubsub';
import { Admission, RoomAccessService, RoomsService } from '@app/rooms';

import { MetricsService } from '../metrics/metrics.service';

import { ChatError } from './chat-error';
import { ChatSession } from './delivery/chat-session';
import { ChatService } from './chat.service';
import { FakeBusInterest } from './delivery/bus-interest.fake';
import { SessionRegistry } from './delivery/session-registry.service';
import { fakeLink } from './delivery/session-link.fake';

class FakeBus {
  next: Outcome | Error = {
    status: 'ok',
    id: '0000000000000007',
    ts: 1,
  };
  readonly published: unknown[] = [];
  async publishMessage(): Promise<Outcome> {
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
  async publishDm(): Promise<Outcome> {
    return this.publishMessage();
  }
  async publishPresence(event: unknown): Promise<void> {
    this.published.push(event);
  }
  async publishFollow(event: unknown): Promise<void> {
    this.published.push(event);
  }
}

class FakeRooms {
  next: Admission = { admitted: true };
  admitted: string[] = [];
  occupants = new Set<string>();
  creationWait = 0;
  lastMove = { userLeft: true, userJoined: true, users: 1, emptied: false };
  async admit(session: { id: string }): Promise<Admission> {
    if (this.next.admitted) this.admitted.push(session.id);
    return this.next;
  }
  async move(): Promise<unknown> {
    return { ...this.lastMove, offline: false };
  }
  async occupied(room: string): Promise<boolean> {
    return this.occupants.has(room);
  }
  async countCreation(): Promise<number> {
    return this.creationWait;
  }
  async who(): Promise<string[]> {
    return ['ann'];
  }
  async isOnline(): Promise<boolean> {
    return true;
  }
}

class FakeHistory {
  stored = new Set<string>();
  readonly calls: string[] = [];
  async hasRoom(room: string): Promise<boolean> {
    return this.stored.has(room);
  }
  async expireRoom(room: string, seconds: number): Promise<void> {
    this.calls.push(`expire ${room} ${seconds}`);
  }
  async keepRoom(room: string): Promise<void> {
    this.calls.push(`keep ${room}`);
  }
  async counters(streams: string[]): Promise<Map<string, string>> {
    return new Map(streams.map((stream) => [stream, '0000000000000001']));
  }
}

const closes: number[] = [];
const session = (): ChatSession =>
  new ChatSession(
    's1',
    'ann',
    { sub: 'ann', iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: 'j' },
    fakeLink(undefined, (code) => closes.push(code)),
  );

const rejects = async (
  promise: Promise<unknown>,
  code: ErrorCode,
  pattern: RegExp,
): Promise<void> => {
  await assert.rejects(
    promise,
    (err: unknown) =>
      err instanceof ChatError &&
      err.code === code &&
      pattern.test(err.message),
  );
};

describe(ChatService.name, () => {
  let bus: FakeBus;
  let rooms: FakeRooms;
  let history: FakeHistory;
  let follows: boolean;
  let sut: ChatService;

  beforeEach(() => {
    bus = new FakeBus();
    rooms = new FakeRooms();
    history = new FakeHistory();
    follows = true;
    closes.length = 0;
    const config = new ConfigService({
      MAX_SESSIONS_PER_USER: 2,
      MAX_CONNECTIONS_PER_ADDRESS: 3,
      MAX_FOLLOWS_PER_USER: 5,
      ROOMS_CREATED_PER_HOUR: 4,
      ROOM_HISTORY_TTL_SECONDS: 60,
      REPLAY_PAGE_SIZE: 100,
    });
    const users = {
      isDisabled: async () => false,
      resolve: async (name: string) =>
        name.toLowerCase() === 'bob' ? 'Bob' : name === 'ann' ? 'ann' : null,
    };
    sut = new ChatService(
      {
        enter: async () => ({ allowed: true, created: false }),
        settings: async () => ({ ops: [], private: false }),
        canRead: async () => true,
        readers: async () => undefined,
        describe: async () => new Map(),
      } as unknown as RoomAccessService,
      bus as unknown as ChatBus,
      config,
      history as unknown as HistoryService,
      new MetricsService(),
      {} as ReadLeases,
      new SessionRegistry(new FakeBusInterest()),
      rooms as unknown as RoomsService,
      {
        subscribe: async () => follows,
        unsubscribe: async () => true,
      } as unknown as SubscriptionsService,
      users as unknown as UsersService,
      'east',
    );
  });

  it('answers a send with its id, and a repeated cid with the first id', async () => {
    assert.deepEqual(await sut.send(session(), 'hi', 'c1'), {
      id: '0000000000000007',
      room: 'global',
      cid: 'c1',
    });
    bus.next = { status: 'dup', id: '0000000000000003' };
    assert.deepEqual(await sut.send(session(), 'hi', 'c1'), {
      id: '0000000000000003',
      room: 'global',
      cid: 'c1',
    });
  });

  it('refuses a cid used before for another kind of message or another target, naming the first', async () => {
    bus.next = { status: 'conflict', target: 'r9', kind: 'message' };
    await rejects(
      sut.send(session(), 'hi', 'c1'),
      ErrorCode.BadRequest,
      /^cid "c1" was already used for a message to #r9: use a new cid$/,
    );
    await rejects(
      sut.dm(session(), 'bob', 'hi', 'c1'),
      ErrorCode.BadRequest,
      /for a message to #r9/,
    );
    bus.next = { status: 'conflict', target: 'bob', kind: 'dm' };
    await rejects(
      sut.send(session(), 'hi', 'c1'),
      ErrorCode.BadRequest,
      /for a DM to bob/,
    );
  });

  it('tells an unreachable store (INTERNAL, not stored) from an unknown outcome (TIMEOUT, retry with the cid)', async () => {
    bus.next = new Error('Connection is closed.');
    await rejects(
      sut.send(session(), 'hi'),
      ErrorCode.Internal,
      /nobody received it/,
    );
    bus.next = { status: 'unknown' } as Outcome;
    await rejects(sut.send(session(), 'hi'), ErrorCode.Timeout, /same cid/);
    bus.next = { status: 'late' };
    await rejects(sut.send(session(), 'hi'), ErrorCode.Timeout, /not stored/);
  });

  it('refuses a user over the message rate, and closes the socket with 1008 when the strikes are used up', async () => {
    bus.next = { status: 'rate', cutOff: false };
    await rejects(sut.send(session(), 'hi'), ErrorCode.RateLimited, /too fast/);
    bus.next = { status: 'rate', cutOff: true };
    await rejects(sut.send(session(), 'hi'), ErrorCode.RateLimited, /too fast/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closes, [1008]);
  });

  it('resolves DM and subscription targets case-insensitively, and refuses yourself and unknown users', async () => {
    assert.equal((await sut.dm(session(), 'BOB', 'psst')).to, 'Bob');
    await rejects(
      sut.dm(session(), 'ann', 'me'),
      ErrorCode.BadRequest,
      /yourself/,
    );
    await rejects(
      sut.dm(session(), 'nobody', 'x'),
      ErrorCode.NotFound,
      /"nobody" does not exist/,
    );
    assert.deepEqual(await sut.subscribe(session(), 'bob'), {
      user: 'Bob',
      cursor: '0000000000000001',
    });
    assert.deepEqual(bus.published, [
      { user: 'ann', target: 'Bob', following: true },
    ]);
  });

  it('refuses a follow over MAX_FOLLOWS_PER_USER with FOLLOW_LIMIT, publishing nothing', async () => {
    follows = false;
    await rejects(
      sut.subscribe(session(), 'bob'),
      ErrorCode.FollowLimit,
      /You follow 5 users already \(MAX_FOLLOWS_PER_USER=5\): unsubscribe/,
    );
    assert.deepEqual(bus.published, []);
  });

  it('counts a join of a room with no members and no history as a creation, refused with ROOM_LIMIT past the cap', async () => {
    rooms.creationWait = 1200;
    await rejects(
      sut.join(session(), 'fresh'),
      ErrorCode.RoomLimit,
      /ROOMS_CREATED_PER_HOUR=4\): join a room that exists, or create one in 1200 s/,
    );
    rooms.occupants.add('busy');
    history.stored.add('quiet');
    assert.equal((await sut.join(session(), 'busy')).room, 'busy');
    assert.equal((await sut.join(session(), 'quiet')).room, 'quiet');
    assert.equal((await sut.join(session(), 'global')).room, 'global');
  });

  it("lets an emptied room's history expire, then takes the expiry back when someone came in meanwhile; never the lobby's", async () => {
    const s = session();
    s.room = 'r1';
    rooms.lastMove = {
      userLeft: true,
      userJoined: true,
      users: 1,
      emptied: true,
    };
    await sut.join(s, 'global');
    assert.deepEqual(history.calls, ['expire r1 60']);

    history.calls.length = 0;
    rooms.occupants.add('r1');
    await sut.roomEmptied('r1');
    assert.deepEqual(history.calls, ['expire r1 60', 'keep r1']);

    history.calls.length = 0;
    rooms.lastMove = {
      userLeft: true,
      userJoined: true,
      users: 1,
      emptied: true,
    };
    s.room = 'global';
    await sut.join(s, 'r2');
    assert.deepEqual(
      history.calls,
      ['keep r2'],
      'a first joiner keeps it; the lobby never expires',
    );
  });

  it('allows resume only as the first frame', async () => {
    const s = session();
    s.release();
    await rejects(
      sut.resume(s, { dm: '0000000000000001' }),
      ErrorCode.BadRequest,
      /first frame/,
    );
  });

  it('admits a connection with a new session id, or refuses it over the per-user or per-address cap, naming the setting', async () => {
    assert.deepEqual(await sut.admit('ann', '10.0.0.1'), {
      sessionId: 'east/1',
    });
    assert.deepEqual(await sut.admit('ann', '10.0.0.1'), {
      sessionId: 'east/2',
    });
    rooms.next = { admitted: false, cap: 'user', open: 2 };
    const refused = await sut.admit('ann', '10.0.0.1');
    assert.ok('refusal' in refused);
    assert.match(
      refused.refusal,
      /ann already has 2 open sessions \(MAX_SESSIONS_PER_USER=2\)/,
    );
    rooms.next = { admitted: false, cap: 'address', open: 3 };
    const crowded = await sut.admit('ann', '10.0.0.1');
    assert.ok('refusal' in crowded);
    assert.match(crowded.refusal, /MAX_CONNECTIONS_PER_ADDRESS=3/);
    assert.deepEqual(rooms.admitted, ['east/1', 'east/2']);
  });
});
