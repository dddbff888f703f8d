import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ClientEvent, Frame, ServerFrame } from '@app/protocol';

import { QueuedRequest, RequestQueue } from './request-queue';

class FakeTransport {
  open = true;
  readonly frames: Frame[] = [];

  send(frame: Frame): boolean {
    if (this.open) this.frames.push(frame);
    return this.open;
  }
}

describe(RequestQueue.name, () => {
  const setup = (timeoutMs = 1000) => {
    const transport = new FakeTransport();
    const timedOut: string[] = [];
    const replies: Array<[string, ServerFrame]> = [];
    const sut = new RequestQueue(transport, timeoutMs, (request) =>
      timedOut.push(request.line),
    );
    const request = (
      line: string,
      origin: QueuedRequest['origin'] = 'typed',
    ): QueuedRequest => ({
      event: ClientEvent.Send,
      line,
      origin,
      payload: () => ({ text: line }),
      settle: (reply) => replies.push([line, reply]),
    });
    const reply = (ref: string): ServerFrame =>
      ({ event: 'sent', data: { ref, id: `id-${ref}` } }) as ServerFrame;
    return { sut, transport, timedOut, replies, request, reply };
  };

  it('sends one request at a time, each with a fresh ref, and hands each its reply', () => {
    const { sut, transport, replies, request, reply } = setup();
    sut.add(request('one'));
    sut.add(request('two'));
    assert.deepEqual(transport.frames, [
      { event: 'send', data: { text: 'one', ref: '1' } },
    ]);
    assert.equal(sut.settle(reply('1')), true);
    assert.deepEqual(transport.frames[1], {
      event: 'send',
      data: { text: 'two', ref: '2' },
    });
    assert.equal(sut.settle(reply('2')), true);
    assert.deepEqual(
      replies.map(([line]) => line),
      ['one', 'two'],
    );
    assert.equal(sut.idle, true);
  });

  it('leaves frames that answer nothing in flight to the caller', () => {
    const { sut, request, reply } = setup();
    sut.add(request('one'));
    assert.equal(sut.settle(reply('7')), false);
    assert.equal(
      sut.settle({
        event: 'presence',
        data: { room: 'global', user: 'b', action: 'join' },
      } as ServerFrame),
      false,
    );
    assert.equal(sut.idle, false);
  });

  it('keeps requests while the transport is down, and sends them once pumped', () => {
    const { sut, transport, request } = setup();
    transport.open = false;
    sut.add(request('offline'));
    assert.equal(transport.frames.length, 0);
    transport.open = true;
    sut.pump();
    assert.deepEqual(transport.frames, [
      { event: 'send', data: { text: 'offline', ref: '1' } },
    ]);
  });

  it('puts the request in flight at a drop back at the head, and sends it again with a new ref', () => {
    const { sut, transport, request } = setup();
    sut.add(request('in flight'));
    sut.add(request('next'));
    transport.open = false;
    sut.requeue();
    sut.addFirst(request('resume', 'reconnect'));
    transport.open = true;
    sut.pump();
    assert.deepEqual(
      transport.frames.map((f) => [f.data.text, f.data.ref]),
      [
        ['in flight', '1'],
        ['resume', '2'],
      ],
    );
    sut.settle({
      event: 'resumed',
      data: { ref: '2', count: 0, complete: true, missing: [] },
    } as ServerFrame);
    assert.deepEqual(transport.frames.at(-1), {
      event: 'send',
      data: { text: 'in flight', ref: '3' },
    });
  });

  it('discards waiting requests that match, keeping the order of the rest', () => {
    const { sut, transport, request } = setup();
    transport.open = false;
    sut.add(request('a'));
    sut.add(request('old resume', 'reconnect'));
    sut.add(request('b'));
    sut.discard((r) => r.origin === 'reconnect');
    assert.deepEqual(
      sut.clear().map((r) => r.line),
      ['a', 'b'],
    );
    assert.equal(sut.idle, true);
  });

  it('gives up on a reply after the timeout and moves on', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { sut, transport, timedOut, request, reply } = setup(20);
    sut.add(request('slow'));
    sut.add(request('after'));
    t.mock.timers.tick(20);
    assert.deepEqual(timedOut, ['slow']);
    assert.equal(transport.frames.at(-1)?.data.text, 'after');
    assert.equal(sut.settle(reply('1')), false, 'a late reply answers nothing');
    assert.equal(sut.settle(reply('2')), true);
  });

  it('returns what never got a reply when cleared, the request in flight first', () => {
    const { sut, request } = setup();
    sut.add(request('in flight'));
    sut.add(request('waiting'));
    assert.deepEqual(
      sut.clear().map((r) => r.line),
      ['in flight', 'waiting'],
    );
  });
});
