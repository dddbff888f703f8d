import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BusSequencer, Sequenced } from './bus-sequencer';

const msg = (id: string, prev?: string, stream = 'room:r'): Sequenced => ({
  stream,
  id,
  prev,
  room: 'r',
  from: 'a',
  text: id,
  ts: 1,
});

const make = (stored: Sequenced[], complete = true) => {
  const delivered: string[] = [];
  const missing: string[] = [];
  let fills = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const sut = new BusSequencer({
    fill: async (stream, after, upTo) => {
      fills++;
      await gate;
      return {
        messages: stored.filter(
          (m) => m.stream === stream && m.id > after && m.id <= upTo,
        ),
        complete,
      };
    },
    deliver: (m) => delivered.push(`${m.stream}/${m.id}`),
    missing: (stream, reason) => missing.push(`${stream} ${reason}`),
  });
  return { sut, delivered, missing, release, fills: () => fills };
};

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(BusSequencer.name, () => {
  it('passes events in order and drops repeats', () => {
    const { sut, delivered } = make([]);
    sut.accept(msg('1'));
    sut.accept(msg('2', '1'));
    sut.accept(msg('2', '1'));
    assert.deepEqual(delivered, ['room:r/1', 'room:r/2']);
  });

  it('keeps each stream apart: ids of different streams are never compared', () => {
    const { sut, delivered, fills } = make([]);
    sut.accept(msg('5', '4', 'room:r'));
    sut.accept(msg('2', '1', 'dm:bob'));
    sut.accept(msg('6', '5', 'room:r'));
    sut.accept(msg('3', '2', 'dm:bob'));
    assert.deepEqual(delivered, [
      'room:r/5',
      'dm:bob/2',
      'room:r/6',
      'dm:bob/3',
    ]);
    assert.equal(fills(), 0);
  });

  it('fills a gap from the stream history before newer events, which wait for it', async () => {
    const { sut, delivered, release } = make([msg('2'), msg('3'), msg('4')]);
    sut.accept(msg('1'));
    sut.accept(msg('4', '3'));
    sut.accept(msg('5', '4'));
    sut.accept(msg('7', '6', 'dm:bob'));
    assert.deepEqual(delivered, ['room:r/1', 'dm:bob/7']);
    release();
    await settle();
    assert.deepEqual(delivered, [
      'room:r/1',
      'dm:bob/7',
      'room:r/2',
      'room:r/3',
      'room:r/4',
      'room:r/5',
    ]);
  });

  it('says messages may be missing when history cannot fill the gap, and goes on', async () => {
    const { sut, delivered, missing, release } = make([msg('3')], false);
    sut.accept(msg('1'));
    sut.accept(msg('4', '3'));
    release();
    await settle();
    assert.deepEqual(delivered, ['room:r/1', 'room:r/3', 'room:r/4']);
    assert.deepEqual(missing, ['room:r gap']);
  });

  it('says messages are missing when the stream went back (acknowledged writes lost), then goes on', () => {
    const { sut, delivered, missing, fills } = make([]);
    sut.accept(msg('05', '04'));
    sut.accept(msg('09', '03'));
    sut.accept(msg('10', '09'));
    assert.deepEqual(delivered, ['room:r/05', 'room:r/09', 'room:r/10']);
    assert.deepEqual(missing, ['room:r rewound']);
    assert.equal(fills(), 0);
  });

  it('fills what was stored while a channel was down once it is subscribed again', async () => {
    const { sut, delivered, release } = make([msg('2'), msg('3')]);
    sut.ready('room:r', '1');
    sut.ready('room:r', '3');
    release();
    await settle();
    assert.deepEqual(delivered, ['room:r/2', 'room:r/3']);
  });

  it('still passes a live event at or below where a first subscription found the stream (stored between the two)', () => {
    const { sut, delivered, fills } = make([]);
    sut.ready('room:r', '05');
    sut.accept(msg('05', '04'));
    sut.accept(msg('06', '05'));
    sut.accept(msg('05', '04'));
    assert.deepEqual(delivered, ['room:r/05', 'room:r/06']);
    assert.equal(fills(), 0);
  });

  it('tells the readers when a resubscribed stream is behind what they were given', () => {
    const { sut, missing } = make([]);
    sut.accept(msg('5', '4'));
    sut.ready('room:r', '3');
    assert.deepEqual(missing, ['room:r rewound']);
  });
});
