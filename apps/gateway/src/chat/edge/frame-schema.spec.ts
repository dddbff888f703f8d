import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ErrorCode } from '@app/protocol';

import { ChatError } from '../chat-error';
import { FrameSchemas } from './frame-schema';

const rejects = (
  run: () => unknown,
  code: ErrorCode,
  pattern: RegExp,
): void => {
  assert.throws(
    run,
    (err: unknown) =>
      err instanceof ChatError &&
      err.code === code &&
      pattern.test(err.message),
  );
};

describe('FrameSchemas', () => {
  it('accepts good frames and drops fields the contract does not have', () => {
    assert.deepEqual(
      FrameSchemas.send({ text: 'hi', ref: 7, from: 'someone-else' }),
      { text: 'hi', ref: 7 },
    );
    assert.deepEqual(FrameSchemas.dm({ to: 'bob', text: 'yo', cid: 'c1' }), {
      to: 'bob',
      text: 'yo',
      cid: 'c1',
    });
    assert.deepEqual(FrameSchemas.history({}), { limit: 50 });
    assert.deepEqual(
      FrameSchemas.resume({
        cursors: { 'room:Room1': '42', dm: '7', 'said:Bob': '9' },
        room: 'Room1',
      }),
      {
        cursors: {
          'room:room1': '0000000000000042',
          dm: '0000000000000007',
          'said:Bob': '0000000000000009',
        },
        room: 'room1',
      },
    );
  });

  it('says TOO_LARGE for text over 2000 characters, BAD_REQUEST for every other mistake', () => {
    rejects(
      () => FrameSchemas.send({ text: 'x'.repeat(2001) }),
      ErrorCode.TooLarge,
      /2001 characters; the limit is 2000/,
    );
    rejects(
      () => FrameSchemas.send({ text: 12 }),
      ErrorCode.BadRequest,
      /text must be a string/,
    );
    rejects(
      () => FrameSchemas.send({ text: ' \n\t' }),
      ErrorCode.BadRequest,
      /only whitespace/,
    );
    rejects(
      () => FrameSchemas.dm({ to: 'bob', text: 'a\u0000b' }),
      ErrorCode.BadRequest,
      /control characters other than tab and newline: found U\+0000 at character 2/,
    );
    assert.equal(
      FrameSchemas.send({ text: 'two\nlines\tand a tab' }).text,
      'two\nlines\tand a tab',
    );
    rejects(
      () => FrameSchemas.send({ text: 'ok', ref: { a: 1 } }),
      ErrorCode.BadRequest,
      /ref must be/,
    );
    rejects(
      () => FrameSchemas.send({ text: 'x'.repeat(2001), ref: {} }),
      ErrorCode.BadRequest,
      /ref must be.*; text is 2001/,
    );
    rejects(
      () => FrameSchemas.join({ room: 'a'.repeat(33) }),
      ErrorCode.BadRequest,
      /room "a+" is invalid: use 1-32/,
    );
    rejects(
      () => FrameSchemas.dm({ text: 'hi' }),
      ErrorCode.BadRequest,
      /to must be a string/,
    );
    rejects(
      () => FrameSchemas.send({ text: 'hi', cid: '' }),
      ErrorCode.BadRequest,
      /cid must be a string of 1 to 64/,
    );
    rejects(
      () => FrameSchemas.history({ limit: 201 }),
      ErrorCode.BadRequest,
      /limit must be a whole number from 1 to 200/,
    );
    rejects(
      () => FrameSchemas.resume({ since: '42' }),
      ErrorCode.BadRequest,
      /cursors must be an object of stream: message id/,
    );
    rejects(
      () => FrameSchemas.resume({ cursors: { lobby: '1' } }),
      ErrorCode.BadRequest,
      /unknown stream "lobby": use "room:<room>", "dm" or "said:<user>"/,
    );
    rejects(
      () => FrameSchemas.resume({ cursors: { dm: 'x' } }),
      ErrorCode.BadRequest,
      /cursors\["dm"\] must be a message id/,
    );
  });

  it('checks the moderation commands: names, seconds, reason, topic and flag', () => {
    assert.deepEqual(
      FrameSchemas.ban({
        room: 'Club',
        user: 'bob',
        seconds: 60,
        reason: 'spam',
        by: 'x',
      }),
      { room: 'club', user: 'bob', seconds: 60, reason: 'spam' },
    );
    assert.deepEqual(FrameSchemas.topic({ room: 'club', text: '' }), {
      room: 'club',
      text: '',
    });
    assert.deepEqual(FrameSchemas.private({ room: 'club', on: false }), {
      room: 'club',
      on: false,
    });
    rejects(
      () => FrameSchemas.mute({ room: 'club', user: 'bob', seconds: 0 }),
      ErrorCode.BadRequest,
      /seconds must be a whole number from 1 to 2592000/,
    );
    rejects(
      () => FrameSchemas.ban({ room: 'club', user: 'bob', seconds: 1.5 }),
      ErrorCode.BadRequest,
      /seconds must be a whole number/,
    );
    rejects(
      () =>
        FrameSchemas.kick({
          room: 'club',
          user: 'bob',
          reason: 'x'.repeat(201),
        }),
      ErrorCode.TooLarge,
      /reason is 201 characters; the limit is 200/,
    );
    rejects(
      () => FrameSchemas.kick({ room: 'club', user: 'bob', reason: 'a\nb' }),
      ErrorCode.BadRequest,
      /reason may not contain control characters \(found one at character 2\)/,
    );
    rejects(
      () => FrameSchemas.topic({ room: 'club', text: 'x'.repeat(201) }),
      ErrorCode.TooLarge,
      /text is 201 characters; the limit is 200/,
    );
    rejects(
      () => FrameSchemas.private({ room: 'club', on: 'yes' }),
      ErrorCode.BadRequest,
      /on must be true or false/,
    );
    rejects(
      () => FrameSchemas.roomUser({ room: 'club' }),
      ErrorCode.BadRequest,
      /user must be a string/,
    );
  });
});
