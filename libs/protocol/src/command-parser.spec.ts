import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CommandParser } from './command-parser';
import { MAX_TEXT_LENGTH } from './limits';

describe(CommandParser.name, () => {
  const sut = new CommandParser();
  const hintOf = (line: string): string => {
    const command = sut.parse(line);
    assert.equal(
      command.kind,
      'hint',
      `expected a hint for ${JSON.stringify(line)}, got ${JSON.stringify(command)}`,
    );
    return command.kind === 'hint' ? command.message : '';
  };

  it('sends plain text to the current room, trimmed', () => {
    assert.deepEqual(sut.parse('  hello there  '), {
      kind: 'request',
      event: 'send',
      data: { text: 'hello there' },
      line: 'hello there',
    });
  });

  it('ignores blank lines', () => {
    assert.deepEqual(sut.parse('   '), { kind: 'none' });
  });

  it('sends "//text" as the plain message "/text"', () => {
    assert.deepEqual(sut.parse('//shrug'), {
      kind: 'request',
      event: 'send',
      data: { text: '/shrug' },
      line: '/shrug',
    });
  });

  it('parses /join, /leave and /rooms', () => {
    assert.deepEqual(sut.parse('/join room1'), {
      kind: 'request',
      event: 'join',
      data: { room: 'room1' },
      line: '/join room1',
    });
    assert.deepEqual(sut.parse('/leave'), {
      kind: 'request',
      event: 'leave',
      data: {},
      line: '/leave',
    });
    assert.deepEqual(sut.parse('/rooms'), {
      kind: 'request',
      event: 'rooms',
      data: {},
      line: '/rooms',
    });
  });

  it('parses /msg and its alias /dm, keeping the text after the user name', () => {
    const expected = {
      kind: 'request',
      event: 'dm',
      data: { to: 'b', text: 'see  you soon' },
    };
    assert.deepEqual(
      { ...sut.parse('/msg b see  you soon'), line: undefined },
      { ...expected, line: undefined },
    );
    assert.deepEqual(
      { ...sut.parse('/dm b see  you soon'), line: undefined },
      { ...expected, line: undefined },
    );
  });

  it('parses /subscribe, /unsubscribe and /who with and without a room', () => {
    assert.deepEqual(sut.parse('/subscribe b'), {
      kind: 'request',
      event: 'subscribe',
      data: { user: 'b' },
      line: '/subscribe b',
    });
    assert.deepEqual(sut.parse('/unsubscribe b'), {
      kind: 'request',
      event: 'unsubscribe',
      data: { user: 'b' },
      line: '/unsubscribe b',
    });
    assert.deepEqual(sut.parse('/who'), {
      kind: 'request',
      event: 'who',
      data: {},
      line: '/who',
    });
    assert.deepEqual(sut.parse('/who room1'), {
      kind: 'request',
      event: 'who',
      data: { room: 'room1' },
      line: '/who room1',
    });
  });

  it('parses /history for the room or a DM conversation, with an optional count', () => {
    const history = (data: object, line: string) => ({
      kind: 'request',
      event: 'history',
      data,
      line,
    });
    assert.deepEqual(sut.parse('/history'), history({}, '/history'));
    assert.deepEqual(
      sut.parse('/history 50'),
      history({ limit: 50 }, '/history 50'),
    );
    assert.deepEqual(
      sut.parse('/history b'),
      history({ with: 'b' }, '/history b'),
    );
    assert.deepEqual(
      sut.parse('/history b 5'),
      history({ with: 'b', limit: 5 }, '/history b 5'),
    );
    assert.equal(
      hintOf('/history 201'),
      'Count "201" is invalid: use 1 to 200',
    );
    assert.equal(hintOf('/history b c'), 'Usage: /history [USER] [N]');
    assert.match(hintOf('/history b@x'), /^User name "b@x" is invalid/);
  });

  it('parses /help and /quit, whatever their case', () => {
    assert.deepEqual(sut.parse('/help'), { kind: 'help' });
    assert.deepEqual(sut.parse('/QUIT'), { kind: 'quit' });
  });

  it('answers an unknown command with a hint that points at /help', () => {
    assert.equal(
      hintOf('/jion room1'),
      'Unknown command "/jion": type /help for the list of commands',
    );
    assert.match(hintOf('/'), /Unknown command "\/"/);
  });

  it('answers missing or extra arguments with the usage', () => {
    assert.equal(hintOf('/join'), 'Usage: /join ROOM');
    assert.equal(hintOf('/join a b'), 'Usage: /join ROOM');
    assert.equal(hintOf('/msg b'), 'Usage: /msg USER TEXT');
    assert.equal(hintOf('/dm'), 'Usage: /dm USER TEXT');
    assert.equal(hintOf('/subscribe'), 'Usage: /subscribe USER');
    assert.equal(hintOf('/rooms all'), 'Usage: /rooms (it takes no arguments)');
    assert.equal(hintOf('/quit now'), 'Usage: /quit (it takes no arguments)');
  });

  it('checks room and user names locally with the protocol rule', () => {
    assert.equal(
      hintOf('/join room!'),
      `Room "room!" is invalid: use 1-32 letters, digits, '-' or '_'`,
    );
    assert.match(hintOf('/msg b@x hi'), /^User name "b@x" is invalid/);
    assert.match(hintOf('/who a.b'), /^Room "a.b" is invalid/);
    assert.match(hintOf(`/join ${'r'.repeat(33)}`), /is invalid/);
  });

  it('refuses a message over the protocol limit before sending it', () => {
    assert.equal(
      hintOf('x'.repeat(MAX_TEXT_LENGTH + 1)),
      `Message too long (${MAX_TEXT_LENGTH + 1} characters): the limit is ${MAX_TEXT_LENGTH}`,
    );
    assert.equal(sut.parse('x'.repeat(MAX_TEXT_LENGTH)).kind, 'request');
    assert.match(
      hintOf(`/msg b ${'x'.repeat(MAX_TEXT_LENGTH + 1)}`),
      /Message too long/,
    );
  });

  it('refuses control characters other than tab and newline before sending, with the protocol rule', () => {
    assert.equal(
      hintOf('ring \x07 bell'),
      'text may not contain control characters other than tab and newline: found U+0007 at character 6; remove it and send again',
    );
    assert.match(hintOf('/msg b esc\x1b[31m'), /found U\+001B at character 4/);
    assert.match(hintOf('c1 \u0085'), /found U\+0085/);
    assert.equal(sut.parse('tab\there').kind, 'request');
  });

  it('lists every command in aligned help lines', () => {
    const lines = sut.helpLines();
    for (const command of [
      '/join ROOM',
      '/leave',
      '/rooms',
      '/msg USER TEXT',
      '/dm USER TEXT',
      '/subscribe USER',
      '/unsubscribe USER',
      '/who [ROOM]',
      '/history [USER] [N]',
      '/help',
      '/quit',
    ]) {
      assert.ok(
        lines.some((line) => line.trimStart().startsWith(command)),
        `help lists ${command}`,
      );
    }
    const column = lines[0].search(/ {2}send TEXT/);
    assert.ok(
      lines.every(
        (line) =>
          line[column - 1] !== ' ' || line.slice(column, column + 2) === '  ',
      ),
    );
  });
});
