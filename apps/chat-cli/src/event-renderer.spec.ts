import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ErrorCode, ServerEvent } from '@app/protocol';

import { EventRenderer } from './event-renderer';

describe(EventRenderer.name, () => {
  const ts = new Date(2026, 0, 2, 12, 0, 1).getTime();
  const sut = new EventRenderer(false);

  it('renders a room message with time, room, sender and text', () => {
    assert.equal(
      sut.message(
        { id: '1', room: 'global', from: 'a', text: 'hello', ts },
        'b',
      ),
      '[12:00:01] #global <a> hello',
    );
  });

  it('marks a message that arrived through a subscription', () => {
    assert.equal(
      sut.message(
        {
          id: '2',
          room: 'room1',
          from: 'b',
          text: 'hi',
          ts,
          via: 'subscription',
        },
        'a',
      ),
      '[12:00:01] #room1 <b> hi (via subscription)',
    );
  });

  it('renders DMs the same way in both directions', () => {
    assert.equal(
      sut.dm({ from: 'a', to: 'b', text: 'psst', ts }),
      '[12:00:01] DM <a -> b> psst',
    );
    assert.equal(
      sut.dm({ from: 'b', to: 'a', text: 'yes?', ts }),
      '[12:00:01] DM <b -> a> yes?',
    );
  });

  it('renders presence', () => {
    assert.equal(
      sut.presence({ room: 'room1', user: 'b', action: 'join' }, ts),
      '[12:00:01] * b joined #room1',
    );
    assert.equal(
      sut.presence({ room: 'room1', user: 'b', action: 'leave' }, ts),
      '[12:00:01] * b left #room1',
    );
  });

  it('renders server errors with their code', () => {
    assert.equal(
      sut.error({
        code: ErrorCode.NotFound,
        message: 'User "x" does not exist',
      }),
      'error: NOT_FOUND: User "x" does not exist',
    );
  });

  it('renders joins with a singular or plural user count', () => {
    assert.equal(
      sut.joined({ room: 'room1', users: 1, members: [], cursor: '0' }),
      'joined #room1 (1 user)',
    );
    assert.equal(
      sut.joined({ room: 'room1', users: 2, members: [], cursor: '0' }),
      'joined #room1 (2 users)',
    );
  });

  it('renders rooms as an aligned table', () => {
    assert.deepEqual(
      sut.rooms([
        { name: 'global', users: 2 },
        { name: 'a-much-longer-room', users: 12 },
      ]),
      [
        'ROOM                USERS',
        'global                  2',
        'a-much-longer-room     12',
      ],
    );
    assert.deepEqual(sut.rooms([]), ['ROOM  USERS', '(no rooms)']);
  });

  it('renders who, subscribe and unsubscribe replies', () => {
    assert.equal(
      sut.who({ room: 'room1', users: ['a', 'b'] }),
      'users in #room1 (2): a, b',
    );
    assert.equal(
      sut.who({ room: 'empty', users: [] }),
      'users in #empty (0): (nobody)',
    );
    assert.equal(sut.subscribed('b'), 'subscribed to b');
    assert.equal(sut.unsubscribed('b'), 'unsubscribed from b');
  });

  it('neutralises escapes and newlines in everything that came from the network', () => {
    const line = sut.message(
      {
        id: '3',
        room: 'global',
        from: 'a\x1b[2J',
        text: '\x1b[31mred\x1b[0m\nfake line',
        ts,
      },
      'b',
    );
    assert.equal(line, '[12:00:01] #global <a> red\\nfake line');
    assert.equal(
      sut.error({ code: ErrorCode.BadRequest, message: 'bad\x07' }),
      'error: BAD_REQUEST: bad\\x07',
    );
    assert.deepEqual(sut.rooms([{ name: 'r\x1b[1m', users: 1 }]).slice(1), [
      'r         1',
    ]);
  });

  it('adds no escape sequences without colour, and some with colour', () => {
    const plain = sut.message(
      { id: '4', room: 'global', from: 'a', text: 'x', ts },
      'a',
    );
    assert.doesNotMatch(plain, /\x1b/);
    const coloured = new EventRenderer(true).message(
      { id: '4', room: 'global', from: 'a', text: 'x', ts },
      'b',
    );
    assert.match(coloured, /\x1b\[/);
    assert.equal(
      coloured.replace(/\x1b\[[0-9;]*m/g, ''),
      '[12:00:01] #global <a> x',
    );
  });

  it('renders the history header, an empty page, and dims history lines as a whole on a terminal', () => {
    assert.equal(sut.earlierHeader(), '-- earlier messages --');
    assert.equal(sut.earlierHeader('b'), '-- earlier messages with b --');
    assert.equal(sut.noEarlier('room1'), 'no earlier messages in #room1');
    assert.equal(sut.noEarlier(undefined, 'b'), 'no earlier messages with b');
    assert.equal(
      sut.earlier('[12:00:01] #global <a> x'),
      '[12:00:01] #global <a> x',
    );
    const coloured = new EventRenderer(true);
    const line = coloured.earlier(
      coloured.message(
        { id: '5', room: 'global', from: 'b', text: 'old', ts },
        'a',
      ),
    );
    assert.equal(line, '\x1b[2m[12:00:01] #global <b> old\x1b[22m');
  });

  it('renders catching up, unread DMs and an offline recipient', () => {
    assert.equal(
      sut.caughtUp(3),
      '(caught up: 3 messages while you were away)',
    );
    assert.equal(sut.caughtUp(1), '(caught up: 1 message while you were away)');
    assert.equal(sut.unreadDms(2), '2 direct messages while you were away');
    assert.equal(sut.unreadDms(1), '1 direct message while you were away');
    assert.equal(
      sut.offline('b\x1b[2J'),
      'b is offline: they will see it when they log in',
    );
  });

  it('shows the user and room in the prompt', () => {
    assert.equal(sut.prompt('a', 'global'), 'a@global> ');
  });

  describe('room moderation', () => {
    const notice = { id: '9', room: 'dev', by: 'alice', ts };

    it('renders notices as one line in their room', () => {
      assert.equal(
        sut.notice({
          ...notice,
          action: 'ban',
          user: 'bob',
          until: ts + 600_000,
          reason: 'spam',
        }),
        '[12:00:01] #dev * alice banned bob for 10m: spam',
      );
      assert.equal(
        sut.notice({
          ...notice,
          by: 'carol',
          action: 'topic',
          text: 'Deploys',
        }),
        '[12:00:01] #dev * carol set the topic: Deploys',
      );
      assert.equal(
        sut.notice({ ...notice, action: 'private', on: true }),
        '[12:00:01] #dev * room is now private, set by alice',
      );
    });

    it('neutralises escapes and bidi overrides in topics and reasons', () => {
      assert.equal(
        sut.notice({
          ...notice,
          action: 'topic',
          text: '\x1b[2Jclean\u202e',
        }),
        '[12:00:01] #dev * alice set the topic: clean\\u202e',
      );
      assert.equal(
        sut.removed({
          room: 'dev',
          action: 'kick',
          by: 'alice',
          reason: 'out\x1b]0;x\x07\nnow',
        }),
        'you were kicked from #dev by alice: out\\nnow',
      );
      assert.equal(
        sut.joined({
          room: 'dev',
          users: 1,
          members: ['a'],
          cursor: '0',
          topic: 'a\u202eb',
        }),
        'joined #dev (1 user), topic: a\\u202eb',
      );
    });

    it('tells a removed user who did it, and when a ban ends', () => {
      const until = new Date();
      until.setHours(23, 59, 0, 0);
      assert.equal(
        sut.removed({
          room: 'dev',
          action: 'ban',
          by: 'alice',
          until: until.getTime(),
          reason: 'spam',
        }),
        'you were banned from #dev by alice until 23:59:00: spam',
      );
      assert.equal(
        sut.removed({ room: 'dev', action: 'ban', by: 'alice', until: ts }),
        'you were banned from #dev by alice until 2026-01-02 12:00:01',
      );
    });

    it('shows the topic and privacy on joining, and roles in who', () => {
      assert.equal(
        sut.joined({
          room: 'dev',
          users: 2,
          members: [],
          cursor: '0',
          topic: 'Deploys only',
          private: true,
        }),
        'joined #dev (2 users, private), topic: Deploys only',
      );
      assert.equal(
        sut.who({
          room: 'dev',
          users: ['alice', 'bob', 'carol', 'dave'],
          roles: { dave: 'owner', bob: 'op' },
        }),
        'users in #dev (4): dave (owner), bob (op), alice, carol',
      );
    });

    it('says plainly why a request was refused', () => {
      assert.equal(
        sut.error({
          code: ErrorCode.Banned,
          message: 'You are banned from #dev until 14:00',
        }),
        'refused: You are banned from #dev until 14:00 (BANNED)',
      );
      assert.equal(
        sut.error({ code: ErrorCode.NotInvited, message: '#dev is private' }),
        'refused: #dev is private (NOT_INVITED)',
      );
    });

    it('confirms moderation replies and settings', () => {
      assert.equal(
        sut.moderated(ServerEvent.Kicked, { room: 'dev', user: 'bob' }),
        'kicked bob from #dev',
      );
      assert.equal(
        sut.moderated(ServerEvent.Opped, { room: 'dev', user: 'bob' }),
        'bob is now an operator of #dev',
      );
      assert.equal(
        sut.topicSet({ room: 'dev', text: '' }),
        'topic of #dev cleared',
      );
      assert.equal(
        sut.privacySet({ room: 'dev', on: true }),
        '#dev is now private',
      );
    });
  });
});
