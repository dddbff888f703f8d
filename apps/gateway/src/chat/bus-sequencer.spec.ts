import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BusSequencer, Sequenced } from './bus-sequencer';

const msg = (id: string, prev?: string): Sequenced => ({
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
    fill: async (after) => {
      fills++;
      await gate;
      return { messages: stored.filter((m) => m.id > after), complete };
    },
    deliver: (m) => delivered.push(m.id),
    missing: (after, upTo) => missing.push(`${after}-${upTo}`),
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
    assert.deepEqual(delivered, ['1', '2']);
  });

  it('fills a gap from history before newer events, which wait for it', async () => {
    const { sut, delivered, release } = make([msg('2'), msg('3'), msg('4')]);
    sut.accept(msg('1'));
    sut.accept(msg('4', '3'));
    sut.accept(msg('5', '4'));
    assert.deepEqual(delivered, ['1']);
    release();
    await settle();
    assert.deepEqual(delivered, ['1', '2', '3', '4', '5']);
  });

  it('says messages may be missing when history cannot fill the gap, and goes on', async () => {
    const { sut, delivered, missing, release } = make([msg('3')], false);
    sut.accept(msg('1'));
    sut.accept(msg('4', '3'));
    release();
    await settle();
    assert.deepEqual(delivered, ['1', '3', '4']);
    assert.deepEqual(missing, ['1-3']);
  });

  it('fills a gap on a quiet bus only when the last stored id stays ahead', async () => {
    const { sut, delivered, release, fills } = make([msg('1'), msg('2')]);
    sut.checkQuiet('0');
    sut.accept(msg('1', '0'));
    sut.checkQuiet('2');
    assert.equal(fills(), 0, 'maybe still in flight');
    sut.checkQuiet('2');
    release();
    await settle();
    assert.deepEqual(delivered, ['1', '2']);
  });

  it('accepts a restarted counter (Redis lost its data) without filling', () => {
    const { sut, delivered, fills } = make([]);
    sut.accept(msg('5', '4'));
    sut.accept(msg('6', '0000'));
    assert.deepEqual(delivered, ['5', '6']);
    assert.equal(fills(), 0);
  });
});
