import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { ChatSession } from './chat-session';
import { FakeBusInterest } from './bus-interest.fake';
import { SessionRegistry } from './session-registry.service';
import { fakeLink } from './session-link.fake';

class FakeSession extends ChatSession {
  readonly received: Array<{ event: string; data: Record<string, unknown> }> =
    [];

  constructor(id: string, username: string, room = 'global') {
    const link = fakeLink((frame) =>
      this.received.push(JSON.parse(String(frame))),
    );
    super(
      id,
      username,
      { sub: username, iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: id },
      link,
    );
    this.room = room;
    this.release();
  }
}

const message = (from: string, room: string, id = '1') => ({
  id,
  room,
  from,
  text: 'hi',
  ts: 1,
});

describe(SessionRegistry.name, () => {
  let sut: SessionRegistry;
  let bus: FakeBusInterest;
  beforeEach(() => {
    bus = new FakeBusInterest();
    sut = new SessionRegistry(bus);
  });

  it('gives room members the room copy and local followers elsewhere the said copy, marked via subscription', () => {
    const inRoom = new FakeSession('1', 'ann', 'r1');
    const subscriberInRoom = new FakeSession('2', 'sub', 'r1');
    const subscriberElsewhere = new FakeSession('3', 'sub', 'global');
    const outsider = new FakeSession('4', 'out', 'global');
    [inRoom, subscriberInRoom, subscriberElsewhere, outsider].forEach((s) =>
      sut.add(s),
    );
    sut.setFollowing('sub', ['ann']);
    sut.setFollowing('nobody-here', ['ann']);

    sut.deliverMessage(message('ann', 'r1'));
    sut.deliverSaid(message('ann', 'r1', '5'));

    assert.deepEqual(inRoom.received, [
      {
        event: 'message',
        data: { id: '1', room: 'r1', from: 'ann', text: 'hi', ts: 1 },
      },
    ]);
    assert.equal(subscriberInRoom.received.length, 1);
    assert.equal(subscriberInRoom.received[0].data.via, undefined);
    assert.equal(subscriberElsewhere.received.length, 1);
    assert.equal(subscriberElsewhere.received[0].data.via, 'subscription');
    assert.equal(outsider.received.length, 0);
  });

  it('follows and unfollows as bus events say, and forgets a user whose last session left', () => {
    const follower = new FakeSession('1', 'sub', 'global');
    sut.add(follower);
    sut.follow('sub', 'ann', true);
    sut.deliverSaid(message('ann', 'r1', '1'));
    sut.follow('sub', 'ann', false);
    sut.deliverSaid(message('ann', 'r1', '2'));
    sut.follow('sub', 'ann', true);
    sut.remove(follower);
    assert.deepEqual(sut.followed(), []);
    assert.deepEqual(
      follower.received.map((f) => f.data.id),
      ['1'],
    );
  });

  it('gives each inbox copy of a DM to its owner’s sessions, but the one that sent it', () => {
    const origin = new FakeSession('s1', 'ann');
    const otherOfSender = new FakeSession('s2', 'ann', 'r9');
    const recipient = new FakeSession('s3', 'bob', 'r1');
    const bystander = new FakeSession('s4', 'eve');
    [origin, otherOfSender, recipient, bystander].forEach((s) => sut.add(s));

    const dm = { from: 'ann', to: 'bob', text: 'psst', ts: 1 };
    sut.deliverDm({ id: '7', ...dm }, 'ann', 's1');
    sut.deliverDm({ id: '3', ...dm }, 'bob');

    assert.equal(origin.received.length, 0);
    assert.deepEqual(otherOfSender.received, [
      {
        event: 'dm',
        data: { id: '7', from: 'ann', to: 'bob', text: 'psst', ts: 1 },
      },
    ]);
    assert.deepEqual(
      recipient.received.map((f) => f.data.id),
      ['3'],
    );
    assert.equal(bystander.received.length, 0);
  });

  it('tells presence to the other users of the room, never to the user it is about', () => {
    const self = new FakeSession('1', 'ann', 'r1');
    const other = new FakeSession('2', 'bob', 'r1');
    const away = new FakeSession('3', 'cid', 'r2');
    [self, other, away].forEach((s) => sut.add(s));
    sut.deliverPresence({ room: 'r1', user: 'ann', action: 'join' });
    assert.deepEqual(
      [self.received.length, other.received.length, away.received.length],
      [0, 1, 0],
    );
  });

  it('moves sessions between rooms, never gives one id twice, and forgets removed sessions', () => {
    const s = new FakeSession('1', 'ann', 'global');
    sut.add(s);
    sut.moveTo(s, 'r1');
    sut.deliverMessage(message('bob', 'global', '1'));
    sut.deliverMessage(message('bob', 'r1', '2'));
    sut.deliverMessage(message('bob', 'r1', '2'));
    assert.deepEqual(
      s.received.map((f) => f.data.room),
      ['r1'],
    );
    sut.remove(s);
    sut.deliverMessage(message('bob', 'r1', '3'));
    assert.equal(s.received.length, 1);
    assert.deepEqual(sut.all(), []);
  });

  it('subscribes a channel while some local session needs it: its room, its user, and users its user follows', async () => {
    const channels = (): string[] => [...bus.channels.keys()].sort();
    const ann = new FakeSession('1', 'ann', 'global');
    const ann2 = new FakeSession('2', 'ann', 'r1');
    await sut.add(ann);
    await sut.add(ann2);
    await sut.setFollowing('ann', ['bob']);
    assert.deepEqual(channels(), [
      'bus:{r:global}',
      'bus:{r:r1}',
      'bus:{u:ann}',
      'bus:{u:bob}:said',
    ]);
    await sut.moveTo(ann, 'r1');
    assert.deepEqual(channels(), [
      'bus:{r:r1}',
      'bus:{u:ann}',
      'bus:{u:bob}:said',
    ]);
    assert.equal(bus.channels.get('bus:{r:r1}'), 1, 'one interest per channel');
    await sut.follow('ann', 'bob', false);
    sut.remove(ann);
    assert.deepEqual(channels(), ['bus:{r:r1}', 'bus:{u:ann}']);
    await sut.follow('ann', 'cy', true);
    sut.remove(ann2);
    assert.deepEqual(channels(), []);
  });
});
