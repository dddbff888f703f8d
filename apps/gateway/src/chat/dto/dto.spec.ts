import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ErrorCode } from '@app/protocol';

import { ChatError } from '../chat-error';
import { chatValidationPipe } from '../chat-validation.pipe';
import { DirectMessageDto } from './direct-message.dto';
import { JoinRoomDto } from './join-room.dto';
import { SendMessageDto } from './send-message.dto';

const check = (metatype: new () => object, value: unknown) => chatValidationPipe.transform(value, { type: 'body', metatype });

const rejectsWith = async (promise: Promise<unknown>, code: ErrorCode, pattern: RegExp): Promise<void> => {
  await assert.rejects(promise, (err: unknown) => err instanceof ChatError && err.code === code && pattern.test(err.message));
};

describe('chat DTOs', () => {
  it('accepts good frames and drops fields the contract does not have', async () => {
    const sut = await check(SendMessageDto, { text: 'hi', ref: 7, from: 'someone-else' });
    assert.deepEqual(JSON.parse(JSON.stringify(sut)), { text: 'hi', ref: 7 });
  });

  it('says TOO_LARGE for text over 2000 characters, BAD_REQUEST for every other mistake', async () => {
    await rejectsWith(check(SendMessageDto, { text: 'x'.repeat(2001) }), ErrorCode.TooLarge, /2001 characters; the limit is 2000/);
    await rejectsWith(check(SendMessageDto, { text: 12 }), ErrorCode.BadRequest, /text must be a string/);
    await rejectsWith(check(SendMessageDto, { text: ' \n\t' }), ErrorCode.BadRequest, /only whitespace/);
    await rejectsWith(check(SendMessageDto, { text: 'ok', ref: { a: 1 } }), ErrorCode.BadRequest, /ref must be/);
    await rejectsWith(check(JoinRoomDto, { room: 'a'.repeat(33) }), ErrorCode.BadRequest, /room "a+" is invalid: use 1-32/);
    await rejectsWith(check(DirectMessageDto, { text: 'hi' }), ErrorCode.BadRequest, /to must be a string/);
  });
});
