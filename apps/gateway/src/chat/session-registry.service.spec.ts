import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { MetricsService } from '../metrics/metrics.service';

import { ChatSession } from './chat-session';
import { SessionRegistry } from './session-registry.service';

class FakeSession extends ChatSession {
  readonly received: Array<{ event: string; data: Record<string, unknown> }> = [];

  constructor(id: string, username: string, room = 'global') {
    super(id, username, Number.MAX_SAFE_INTEGER, { send: (frame) => this.received.push(JSON.parse(frame)), close: () => undefined });
    this.room = room;
  }
}

const message = (from: string, room: string, subscribers: string[] = []) => ({ id: '1', room, from, text: 'hi', ts: 1, subscribers });

describe(SessionRegistry.name, () => {
  let sut: SessionRegistry;
  beforeEach(() => (sut = new SessionRegistry(new MetricsService())));

  it('gives room members the message and subscribers elsewhere one copy marked via subscription', () => {
    const inRoom = new FakeSession('1', 'ann', 'r1');
    const subscriberInRoom = new FakeSession('2', 'sub', 'r1');
    const subscriberElsewhere = new FakeSession('3', 'sub', 'global');
    const outsider = new FakeSession('4', 'out', 'global');
    [inRoom, subscriberInRoom, subscriberElsewhere, outsider].forEach((s) => sut.add(s));

    sut.deliverMessage(message('ann', 'r1', ['sub', 'nobody-here']));

    assert.deepEqual(inRoom.received, [{ event: 'message', data: { id: '1', room: 'r1', from: 'ann', text: 'hi', ts: 1 } }]);
    assert.equal(subscriberInRoom.received.length, 1);
    assert.equal(subscriberInRoom.received[0].data.via, undefined);
    assert.equal(subscriberElsewhere.received.length, 1);
    assert.equal(subscriberElsewhere.received[0].data.via, 'subscription');
    assert.equal(outsider.received.length, 0);
  });

  it('accepts the empty subscriber list that Redis encodes as an object', () => {
    const member = new FakeSession('1', 'ann', 'r1');
    sut.add(member);
    sut.deliverMessage({ ...message('ann', 'r1'), subscribers: {} as unknown as string[] });
    assert.equal(member.received.length, 1);
  });

  it('gives a DM to every session of the recipient and to the sender’s other sessions only', () => {
    const origin = new FakeSession('s1', 'ann');
    const otherOfSender = new FakeSession('s2', 'ann', 'r9');
    const recipient = new FakeSession('s3', 'bob', 'r1');
    const bystander = new FakeSession('s4', 'eve');
    [origin, otherOfSender, recipient, bystander].forEach((s) => sut.add(s));

    sut.deliverDm({ id: '7', from: 'ann', to: 'bob', text: 'psst', ts: 1, origin: 's1' });

    assert.equal(origin.received.length, 0);
    assert.deepEqual(otherOfSender.received, [{ event: 'dm', data: { id: '7', from: 'ann', to: 'bob', text: 'psst', ts: 1 } }]);
    assert.equal(recipient.received.length, 1);
    assert.equal(bystander.received.length, 0);
  });

  it('tells presence to the other users of the room, never to the user it is about', () => {
    const self = new FakeSession('1', 'ann', 'r1');
    const other = new FakeSession('2', 'bob', 'r1');
    const away = new FakeSession('3', 'cid', 'r2');
    [self, other, away].forEach((s) => sut.add(s));
    sut.deliverPresence({ room: 'r1', user: 'ann', action: 'join' });
    assert.deepEqual([self.received.length, other.received.length, away.received.length], [0, 1, 0]);
  });

  it('moves sessions between rooms and forgets removed ones', () => {
    const s = new FakeSession('1', 'ann', 'global');
    sut.add(s);
    sut.moveTo(s, 'r1');
    sut.deliverMessage(message('bob', 'global'));
    sut.deliverMessage(message('bob', 'r1'));
    assert.deepEqual(s.received.map((f) => f.data.room), ['r1']);
    sut.remove(s);
    sut.deliverMessage(message('bob', 'r1'));
    assert.equal(s.received.length, 1);
    assert.deepEqual(sut.all(), []);
  });
});
