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

const make = () => {
  const delivered: string[] = [];
  const missing: string[] = [];
  const sut = new BusSequencer({
    gap: (stream, after, upTo) =>
      delivered.push(`${stream} gap ${after}..${upTo}`),
    deliver: (m) => delivered.push(`${m.stream}/${m.id}`),
    rewound: (stream) => missing.push(`${stream} rewound`),
  });
  const fills = (): number =>
    delivered.filter((d) => d.includes(' gap ')).length;
  return { sut, delivered, missing, fills };
};

describe(BusSequencer.name, () => {
  it('passes events in order and drops repeats', () => {
    const { sut, delivered } = make();
    sut.accept(msg('1'));
    sut.accept(msg('2', '1'));
    sut.accept(msg('2', '1'));
    assert.deepEqual(delivered, ['room:r/1', 'room:r/2']);
  });

  it('keeps each stream apart: ids of different streams are never compared', () => {
    const { sut, delivered, fills } = make();
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

  it('hands a gap on to be filled before the event that revealed it, then goes on', () => {
    const { sut, delivered } = make();
    sut.accept(msg('1'));
    sut.accept(msg('4', '3'));
    sut.accept(msg('5', '4'));
    sut.accept(msg('7', '6', 'dm:bob'));
    assert.deepEqual(delivered, [
      'room:r/1',
      'room:r gap 1..3',
      'room:r/4',
      'room:r/5',
      'dm:bob/7',
    ]);
  });

  it('says messages are missing when the stream went back (acknowledged writes lost), then goes on', () => {
    const { sut, delivered, missing, fills } = make();
    sut.accept(msg('05', '04'));
    sut.accept(msg('09', '03'));
    sut.accept(msg('10', '09'));
    assert.deepEqual(delivered, ['room:r/05', 'room:r/09', 'room:r/10']);
    assert.deepEqual(missing, ['room:r rewound']);
    assert.equal(fills(), 0);
  });

  it('fills what was stored while a channel was down once it is subscribed again, once', () => {
    const { sut, delivered } = make();
    sut.ready('room:r', '1');
    sut.ready('room:r', '3');
    sut.accept(msg('3', '2'));
    sut.accept(msg('4', '3'));
    assert.deepEqual(delivered, ['room:r gap 1..3', 'room:r/4']);
  });

  it('still passes a live event at or below where a first subscription found the stream (stored between the two)', () => {
    const { sut, delivered, fills } = make();
    sut.ready('room:r', '05');
    sut.accept(msg('05', '04'));
    sut.accept(msg('06', '05'));
    sut.accept(msg('05', '04'));
    assert.deepEqual(delivered, ['room:r/05', 'room:r/06']);
    assert.equal(fills(), 0);
  });

  it('tells the readers when a resubscribed stream is behind what they were given', () => {
    const { sut, missing } = make();
    sut.accept(msg('5', '4'));
    sut.ready('room:r', '3');
    assert.deepEqual(missing, ['room:r rewound']);
  });

  it('does not take a head read before newer events came for a stream that went back', () => {
    const { sut, delivered, missing } = make();
    sut.accept(msg('5', '4'));
    const mark = sut.mark('room:r');
    sut.accept(msg('7', '6'));
    sut.ready('room:r', '6', mark);
    sut.accept(msg('8', '7'));
    assert.deepEqual(missing, []);
    assert.deepEqual(delivered, [
      'room:r/5',
      'room:r gap 5..6',
      'room:r/7',
      'room:r/8',
    ]);
  });
});
