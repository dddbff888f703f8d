import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ClientEvent, ErrorCode, ServerEvent } from '@app/protocol';

import { EventRenderer } from './event-renderer';
import { Outbox } from './outbox';
import { QueuedRequest } from './request-queue';
import { ShownMessages } from './shown-messages';

describe(Outbox.name, () => {
  const setUp = () => {
    const printed: string[] = [];
    const again: QueuedRequest[] = [];
    const sut = new Outbox(
      'ann',
      new EventRenderer(false),
      new ShownMessages(),
      (text) => printed.push(text),
      (request) => again.push(request),
    );
    return { sut, printed, again };
  };
  const timeout = {
    event: ServerEvent.Error,
    data: { code: ErrorCode.Timeout, message: 'no answer' },
  } as const;

  it('sends a line again with the same cid after TIMEOUT, twice, then reports it', () => {
    const { sut, printed, again } = setUp();
    const request = sut.post({
      kind: 'request',
      event: ClientEvent.Send,
      data: { text: 'hi' },
      line: 'hi',
    });
    const cid = request.payload().cid;
    assert.ok(typeof cid === 'string' && cid.length > 0);
    request.settle(timeout);
    request.settle(timeout);
    request.settle(timeout);
    assert.equal(again.length, 2);
    assert.ok(again.every((r) => r.payload().cid === cid));
    assert.match(
      printed.join('\n'),
      /sending it again \(it cannot arrive twice\)/,
    );
  });

  it('awaits the room copy of a sent line, and prints a DM with its offline note at once', () => {
    const { sut, printed } = setUp();
    sut
      .post({
        kind: 'request',
        event: ClientEvent.Send,
        data: { text: 'hi' },
        line: 'hi',
      })
      .settle({
        event: ServerEvent.Sent,
        data: { id: '0000000000000007', room: 'global' },
      });
    assert.equal(sut.awaitingEchoes, true);
    sut.echoed('0000000000000007');
    assert.equal(sut.awaitingEchoes, false);
    sut
      .post({
        kind: 'request',
        event: ClientEvent.Dm,
        data: { to: 'bob', text: 'psst' },
        line: '/dm bob psst',
      })
      .settle({
        event: ServerEvent.Sent,
        data: { id: '0000000000000008', to: 'bob', delivered: false },
      });
    assert.match(printed.join('\n'), /psst/);
    assert.match(printed.join('\n'), /bob/);
    assert.equal(printed.length, 2, 'the DM line and its offline note');
  });
});
