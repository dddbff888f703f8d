import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';

import { WriteCoalescer } from './write-coalescer';

/** A socket that records each system-call-sized write: one entry per write or writev. */
const recordingSocket = (): { socket: Writable; writes: string[][] } => {
  const writes: string[][] = [];
  const socket = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    },
  });
  return { socket, writes };
};

describe(WriteCoalescer.name, () => {
  it('sends the frames of one turn to a socket in one write, in order', async () => {
    const sut = new WriteCoalescer();
    const a = recordingSocket();
    const b = recordingSocket();
    for (const frame of ['1', '2', '3']) {
      sut.hold(a.socket);
      a.socket.write(frame);
    }
    sut.hold(b.socket);
    b.socket.write('x');
    assert.deepEqual(a.writes, [], 'held until the turn ends');
    await turn();
    assert.deepEqual(a.writes, [['1', '2', '3']]);
    assert.deepEqual(b.writes, [['x']]);
  });

  it('holds each turn anew, and lets a socket that ends go at once', async () => {
    const sut = new WriteCoalescer();
    const a = recordingSocket();
    sut.hold(a.socket);
    a.socket.write('1');
    await turn();
    sut.hold(a.socket);
    a.socket.write('2');
    a.socket.end('bye');
    await turn();
    assert.deepEqual(a.writes, [['1'], ['2', 'bye']]);
  });
});
