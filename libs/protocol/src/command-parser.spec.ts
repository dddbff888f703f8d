import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CommandParser, commandPayload } from './command-parser';
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
      '/invite [#ROOM] USER',
      '/kick [#ROOM] USER [REASON]',
      '/ban [#ROOM] USER [DURATION] [REASON]',
      '/unban [#ROOM] USER',
      '/mute [#ROOM] USER [DURATION]',
      '/unmute [#ROOM] USER',
      '/op [#ROOM] USER',
      '/deop [#ROOM] USER',
      '/owner [#ROOM] USER',
      '/topic [#ROOM] TEXT',
      '/private [#ROOM] on|off',
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

  describe('room moderation', () => {
    const request = (event: string, data: object, line: string) => ({
      kind: 'request',
      event,
      data,
      line,
    });

    it('leaves the room out unless the first argument names one with #', () => {
      assert.deepEqual(
        sut.parse('/kick bob spamming  again'),
        request(
          'kick',
          { user: 'bob', reason: 'spamming  again' },
          '/kick bob spamming  again',
        ),
      );
      assert.deepEqual(
        sut.parse('/kick #dev bob spamming'),
        request(
          'kick',
          { room: 'dev', user: 'bob', reason: 'spamming' },
          '/kick #dev bob spamming',
        ),
      );
      assert.deepEqual(
        sut.parse('/kick bob'),
        request('kick', { user: 'bob' }, '/kick bob'),
      );
    });

    it('parses the commands that take only a user', () => {
      for (const event of ['invite', 'unban', 'unmute', 'op', 'deop', 'owner'])
        assert.deepEqual(
          sut.parse(`/${event} #dev carol`),
          request(
            event,
            { room: 'dev', user: 'carol' },
            `/${event} #dev carol`,
          ),
        );
      assert.equal(hintOf('/op carol dave'), 'Usage: /op [#ROOM] USER');
      assert.equal(hintOf('/owner'), 'Usage: /owner [#ROOM] USER');
      assert.equal(hintOf('/invite #dev'), 'Usage: /invite [#ROOM] USER');
    });

    it('turns a ban or mute duration into seconds, and keeps the rest as the reason', () => {
      const ban = (line: string) => sut.parse(line);
      assert.deepEqual(
        ban('/ban bob 10m spam and more'),
        request(
          'ban',
          { user: 'bob', seconds: 600, reason: 'spam and more' },
          '/ban bob 10m spam and more',
        ),
      );
      assert.deepEqual(
        ban('/ban #dev bob 1D'),
        request(
          'ban',
          { room: 'dev', user: 'bob', seconds: 86400 },
          '/ban #dev bob 1D',
        ),
      );
      assert.deepEqual(
        ban('/ban bob 10 times spam'),
        request(
          'ban',
          { user: 'bob', reason: '10 times spam' },
          '/ban bob 10 times spam',
        ),
      );
      assert.deepEqual(
        sut.parse('/mute bob 30s'),
        request('mute', { user: 'bob', seconds: 30 }, '/mute bob 30s'),
      );
      assert.deepEqual(
        sut.parse('/mute #dev bob'),
        request('mute', { room: 'dev', user: 'bob' }, '/mute #dev bob'),
      );
      assert.deepEqual(
        sut.parse('/mute bob 2h'),
        request('mute', { user: 'bob', seconds: 7200 }, '/mute bob 2h'),
      );
    });

    it('refuses durations out of range and mutes with extra words', () => {
      assert.match(
        hintOf('/ban bob 0s'),
        /^Duration "0s" is invalid: use a number and a unit/,
      );
      assert.match(hintOf('/ban bob 31d spam'), /^Duration "31d" is invalid/);
      assert.ok(sut.parse('/ban bob 30d').kind === 'request');
      assert.match(
        hintOf('/mute bob forever'),
        /^Duration "forever" is invalid/,
      );
      assert.equal(
        hintOf('/mute bob 10m please'),
        'Usage: /mute [#ROOM] USER [DURATION]',
      );
    });

    it('checks names, reasons and topics like the server does', () => {
      assert.match(hintOf('/kick #d.v bob'), /^Room "d.v" is invalid/);
      assert.match(hintOf('/kick b@b'), /^User name "b@b" is invalid/);
      assert.equal(
        hintOf(`/kick bob ${'x'.repeat(201)}`),
        'Reason too long (201 characters): the limit is 200',
      );
      assert.match(hintOf('/ban bob 1h \x07'), /found U\+0007/);
      assert.equal(
        hintOf(`/topic ${'t'.repeat(201)}`),
        'Topic too long (201 characters): the limit is 200',
      );
      assert.match(hintOf('/topic esc\x1b[2J'), /found U\+001B/);
    });

    it('sets, clears and scopes topics, and switches a room private', () => {
      assert.deepEqual(
        sut.parse('/topic Deploys only, please'),
        request(
          'topic',
          { text: 'Deploys only, please' },
          '/topic Deploys only, please',
        ),
      );
      assert.deepEqual(
        sut.parse('/topic #dev #rust is great'),
        request(
          'topic',
          { room: 'dev', text: '#rust is great' },
          '/topic #dev #rust is great',
        ),
      );
      assert.deepEqual(
        sut.parse('/topic -'),
        request('topic', { text: '' }, '/topic -'),
      );
      assert.equal(hintOf('/topic'), 'Usage: /topic [#ROOM] TEXT');
      assert.deepEqual(
        sut.parse('/private on'),
        request('private', { on: true }, '/private on'),
      );
      assert.deepEqual(
        sut.parse('/private #dev OFF'),
        request('private', { room: 'dev', on: false }, '/private #dev OFF'),
      );
      assert.equal(hintOf('/private maybe'), 'Usage: /private [#ROOM] on|off');
    });

    it('fills in the current room when the request goes out, unless one was named', () => {
      const payload = (line: string) => {
        const command = sut.parse(line);
        assert.equal(command.kind, 'request');
        return command.kind === 'request' ? commandPayload(command, 'dev') : {};
      };
      assert.deepEqual(payload('/kick bob'), { room: 'dev', user: 'bob' });
      assert.deepEqual(payload('/kick #ops bob'), { room: 'ops', user: 'bob' });
      assert.deepEqual(payload('/rooms'), {});
      assert.deepEqual(payload('hello'), { text: 'hello' });
      assert.deepEqual(payload('/join lobby'), { room: 'lobby' });
    });

    it('heads the moderation commands in the help', () => {
      const lines = sut.helpLines();
      const heading = lines.findIndex((line) =>
        line.startsWith('Room moderation'),
      );
      assert.ok(heading > lines.findIndex((line) => line.includes('/quit')));
      assert.ok(
        lines.slice(heading + 1).every((line) => line.startsWith('  /')),
      );
    });
  });
});
