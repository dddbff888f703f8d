import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';

import { ChatConsole } from './chat-console';

/** A stream that says it is a terminal, and records what is written to it. */
function terminal(
  columns = 20,
): PassThrough & { isTTY: boolean; columns: number; written: string } {
  const stream = Object.assign(new PassThrough(), {
    isTTY: true,
    columns,
    written: '',
  });
  stream.on('data', (chunk) => (stream.written += String(chunk)));
  return stream;
}

describe(ChatConsole.name, () => {
  it('reads plain lines without a terminal and hands them over in order', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const sut = new ChatConsole({ input, output, error: new PassThrough() });
    const lines: string[] = [];
    input.end('one\ntwo\n');
    await new Promise<void>((resolve) =>
      sut.start('> ', (line) => lines.push(line), resolve),
    );
    assert.deepEqual(lines, ['one', 'two']);
    assert.equal(sut.terminal, false);
    sut.close();
  });

  it('on a terminal, erases the typed line, however many rows it wrapped onto', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = terminal(20);
    const sut = new ChatConsole({ input, output, error: new PassThrough() });
    let written = '';
    const typed = new Promise<void>((resolve) =>
      sut.start(
        'a@global> ',
        () => {
          written = output.written;
          sut.eraseTyped();
          resolve();
        },
        () => undefined,
      ),
    );
    input.write(`${'x'.repeat(25)}\r`);
    await typed;
    // 10 prompt + 25 typed characters on a 20-column terminal: two rows up, to column 1, clear below.
    assert.equal(output.written.slice(written.length), '\x1b[2A\x1b[1G\x1b[0J');
    sut.close();
  });
});
