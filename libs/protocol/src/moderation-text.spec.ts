import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Notice } from './moderation';
import {
  byRole,
  describeNotice,
  describeRemoval,
  isNotice,
  withRole,
} from './moderation-text';

describe('moderation text', () => {
  const ts = 1_700_000_000_000;
  const notice = (fields: Partial<Notice>): Notice => ({
    id: '1',
    room: 'dev',
    by: 'alice',
    action: 'kick',
    ts,
    ...fields,
  });

  it('says who did what to whom, for how long and why', () => {
    const cases: Array<[Partial<Notice>, string]> = [
      [
        { action: 'ban', user: 'bob', until: ts + 600_000, reason: 'spam' },
        'alice banned bob for 10m: spam',
      ],
      [{ action: 'ban', user: 'bob' }, 'alice banned bob'],
      [{ action: 'ban', user: 'bob', until: 0 }, 'alice banned bob'],
      [{ action: 'unban', user: 'bob' }, 'alice unbanned bob'],
      [
        { action: 'kick', user: 'bob', reason: 'spamming' },
        'alice kicked bob: spamming',
      ],
      [
        { action: 'mute', user: 'bob', until: ts + 7_200_000 },
        'alice muted bob for 2h',
      ],
      [{ action: 'unmute', user: 'bob' }, 'alice unmuted bob'],
      [{ action: 'op', user: 'bob' }, 'alice made bob an operator'],
      [{ action: 'deop', user: 'bob' }, 'alice removed bob as operator'],
      [{ action: 'owner', user: 'carol' }, 'alice made carol the owner'],
      [{ action: 'invite', user: 'dave' }, 'alice invited dave'],
      [
        { action: 'topic', by: 'carol', text: 'Deploys only' },
        'carol set the topic: Deploys only',
      ],
      [{ action: 'topic', text: '' }, 'alice cleared the topic'],
      [{ action: 'private', on: true }, 'room is now private, set by alice'],
      [{ action: 'private', on: false }, 'room is now public, set by alice'],
    ];
    for (const [fields, line] of cases)
      assert.equal(describeNotice(notice(fields)), line);
  });

  it('tells a kicked or banned user plainly, with when a ban ends', () => {
    const clock = (ms: number): string => `<${ms}>`;
    assert.equal(
      describeRemoval(
        { room: 'dev', action: 'kick', by: 'alice', reason: 'spamming' },
        clock,
      ),
      'you were kicked from #dev by alice: spamming',
    );
    assert.equal(
      describeRemoval(
        { room: 'dev', action: 'ban', by: 'alice', until: 5, reason: 'x' },
        clock,
      ),
      'you were banned from #dev by alice until <5>: x',
    );
    assert.equal(
      describeRemoval({ room: 'dev', action: 'ban', by: 'admin' }, clock),
      'you were banned from #dev by admin',
    );
    assert.equal(
      describeRemoval(
        { room: 'dev', action: 'ban', by: 'admin', until: 0 },
        clock,
      ),
      'you were banned from #dev by admin',
    );
  });

  it('tells notices from messages in a history page', () => {
    assert.equal(isNotice(notice({})), true);
    assert.equal(
      isNotice({ id: '2', room: 'dev', from: 'a', text: 'hi', ts }),
      false,
    );
  });

  it('marks roles and lists the owner, then operators, then the rest', () => {
    assert.equal(withRole('alice', 'owner'), 'alice (owner)');
    assert.equal(withRole('bob', 'op'), 'bob (op)');
    assert.equal(withRole('carol', undefined), 'carol');
    assert.deepEqual(
      byRole(['alice', 'bob', 'carol', 'dave'], { dave: 'owner', bob: 'op' }),
      ['dave', 'bob', 'alice', 'carol'],
    );
  });
});
