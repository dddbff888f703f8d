import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ws from 'ws';

import { EventFrame, frameBytes } from './frames';

/* ws's frame parser (exported at run time, not in @types/ws). */
interface FrameReceiver {
  on(
    event: 'message',
    listener: (data: Buffer, isBinary: boolean) => void,
  ): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer, callback: () => void): void;
}
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => FrameReceiver;
};

/* The frames a client's ws reads from these bytes, as text. */
function received(bytes: Buffer): Promise<string[]> {
  const receiver = new Receiver({ isServer: false });
  const texts: string[] = [];
  return new Promise((resolve, reject) => {
    receiver.on('message', (data: Buffer, isBinary: boolean) =>
      isBinary ? reject(new Error('binary frame')) : texts.push(String(data)),
    );
    receiver.on('error', reject);
    receiver.write(bytes, () => resolve(texts));
  });
}

describe(EventFrame.name, () => {
  for (const length of [0, 5, 125, 126, 65535, 65536, 70000]) {
    it(`is one whole text frame that a ws client reads back (${length} bytes of text)`, async () => {
      const json = 'x'.repeat(length);
      const sut = new EventFrame(json);
      assert.deepEqual(await received(sut.wire), [json]);
      assert.equal(String(sut), json);
      assert.equal(sut.byteLength, Buffer.byteLength(json));
    });
  }

  it('counts and carries multi-byte characters as UTF-8', async () => {
    const json = '{"text":"żółw 🐢"}';
    const sut = new EventFrame(json);
    assert.deepEqual(await received(sut.wire), [json]);
    assert.equal(frameBytes(sut), Buffer.byteLength(json));
    assert.equal(frameBytes(json), Buffer.byteLength(json));
    assert.deepEqual(sut.text, Buffer.from(json));
  });

  it('reads back frame after frame from one stream of bytes', async () => {
    const frames = ['{"a":1}', '{"b":"' + 'y'.repeat(300) + '"}'].map(
      (json) => new EventFrame(json),
    );
    assert.deepEqual(
      await received(Buffer.concat(frames.map((f) => f.wire))),
      frames.map(String),
    );
  });
});
