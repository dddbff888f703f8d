import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, describe, it } from 'node:test';

import { ChatMessage, DirectMessage, Frame } from '@app/protocol';

import { Established } from './chat-connection';
import { Stream } from './chat-console';
import { ChatRepl, ReplConnection, ReplConsole } from './chat-repl';
import { ConnectError } from './connect-error';
import { EventRenderer } from './event-renderer';

class FakeConsole implements ReplConsole {
  readonly terminal = false;
  readonly out: string[] = [];
  readonly err: string[] = [];
  prompt = '';
  closed = false;
  erased = 0;
  private onLine?: (line: string) => void;
  private onEnd?: () => void;
  private interrupt?: () => void;

  start(
    prompt: string,
    onLine: (line: string) => void,
    onEnd: () => void,
  ): void {
    this.prompt = prompt;
    this.onLine = onLine;
    this.onEnd = onEnd;
  }
  onInterrupt(handler: () => void): void {
    this.interrupt = handler;
  }
  setPrompt(prompt: string): void {
    this.prompt = prompt;
  }
  print(text: string, stream: Stream = 'out'): void {
    (stream === 'err' ? this.err : this.out).push(...text.split('\n'));
  }
  eraseTyped(): void {
    this.erased++;
  }
  close(): void {
    this.closed = true;
  }
  type(...lines: string[]): void {
    lines.forEach((line) => this.onLine?.(line));
  }
  end(): void {
    this.onEnd?.();
  }
  ctrlC(): void {
    this.interrupt?.();
  }
}

class FakeConnection extends EventEmitter implements ReplConnection {
  connected = true;
  closed = false;
  readonly sent: Frame[] = [];

  send(frame: Frame): boolean {
    if (!this.connected) return false;
    this.sent.push(frame);
    return true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  server(frame: { event: string; data: object }): void {
    this.emit('frame', frame);
  }
  /** The last frame sent, and a reply to it carrying its ref. */
  last(): Frame {
    return this.sent.at(-1) as Frame;
  }
  reply(event: string, data: Record<string, unknown> = {}): void {
    this.server({ event, data: { ...data, ref: this.last().data.ref } });
  }
  drop(port = 8000): void {
    this.connected = false;
    this.emit('down', {
      endpoint: { host: 'localhost', port },
      code: 1006,
      reason: '',
    });
  }
  restore(port = 8081, unreadDms = 0): void {
    this.connected = true;
    this.emit('up', established(port, unreadDms, false));
  }
}

const established = (
  port = 8000,
  unreadDms = 0,
  login = true,
): Established => ({
  endpoint: { host: 'localhost', port },
  welcome: {
    username: 'a',
    instance: 'i1',
    room: 'global',
    unreadDms,
    instances: [],
    cursors: { 'room:global': '0000000000000001', dm: '0000000000000000' },
  },
  ...(login && { login: { token: 't', username: 'a', created: true } }),
});

const ts = new Date(2026, 0, 2, 12, 0, 1).getTime();
const message = (
  id: string,
  text: string,
  from = 'b',
  room = 'global',
): ChatMessage => ({ id, room, from, text, ts });
const dm = (id: string, text: string, from = 'b', to = 'a'): DirectMessage => ({
  id,
  from,
  to,
  text,
  ts,
});
const id = (n: number): string => String(n).padStart(16, '0');

describe(ChatRepl.name, () => {
  const running: FakeConsole[] = [];

  /** A REPL past its start: `who` and the lobby's history answered (history: none unless given). */
  const setup = (
    options: {
      unreadDms?: number;
      earlier?: ChatMessage[];
      timings?: { replyTimeoutMs: number; echoGraceMs: number };
    } = {},
  ) => {
    const io = new FakeConsole();
    const connection = new FakeConnection();
    running.push(io);
    const timings = options.timings ?? {
      replyTimeoutMs: 2000,
      echoGraceMs: 100,
    };
    const sut = new ChatRepl(
      'a',
      io,
      connection,
      new EventRenderer(false),
      undefined,
      timings,
    );
    const exit = sut.run(established(8000, options.unreadDms));
    connection.reply('who', { room: 'global', users: ['a', 'b'] });
    connection.reply('history', {
      room: 'global',
      messages: options.earlier ?? [],
      more: false,
    });
    return { io, connection, sut, exit };
  };

  afterEach(() => running.splice(0).forEach((io) => io.ctrlC()));

  it('says who logged in and where, who is in the lobby, and its earlier messages under a header', () => {
    const { io, connection } = setup({
      earlier: [message(id(1), 'old one'), message(id(2), 'old two', 'a')],
    });
    assert.deepEqual(
      connection.sent.map((f) => f.event),
      ['who', 'history'],
    );
    assert.deepEqual(connection.sent[1].data, {
      room: 'global',
      limit: 20,
      ref: '2',
    });
    assert.deepEqual(io.out, [
      'logged in as a (new account created)',
      'connected to localhost:8000 (#global)',
      'users in #global (2): a, b',
      '-- earlier messages --',
      '[12:00:01] #global <b> old one',
      '[12:00:01] #global <a> old two',
    ]);
    assert.equal(io.prompt, 'a@global> ');
  });

  it('shows no earlier block, and no error, when the server has no history (UNKNOWN_EVENT)', () => {
    const io = new FakeConsole();
    const connection = new FakeConnection();
    running.push(io);
    void new ChatRepl('a', io, connection, new EventRenderer(false)).run(
      established(),
    );
    connection.reply('who', { room: 'global', users: ['a'] });
    connection.reply('error', {
      code: 'UNKNOWN_EVENT',
      message: 'Unknown event "history"',
    });
    io.type('hi');
    assert.equal(connection.last().event, 'send');
    assert.deepEqual(io.err, []);
    assert.equal(io.out.includes('-- earlier messages --'), false);
  });

  it('says how many DMs came while away; they follow as ordinary DM lines', () => {
    const { io, connection } = setup({ unreadDms: 2 });
    connection.server({ event: 'dm', data: dm(id(7), 'while you slept') });
    assert.equal(io.out[2], '2 direct messages while you were away');
    assert.equal(io.out.at(-1), '[12:00:01] DM <b -> a> while you slept');
  });

  it('sends typed text with a ref and a cid, erases the typed line, and prints the room copy once', () => {
    const { io, connection } = setup();
    io.type('hello');
    const frame = connection.last();
    assert.deepEqual(frame.event, 'send');
    assert.equal(frame.data.text, 'hello');
    assert.match(String(frame.data.cid), /^[\w-]+-1$/);
    assert.equal(io.erased, 1);
    connection.server({
      event: 'message',
      data: message(id(10), 'hello', 'a'),
    });
    connection.reply('sent', { id: id(10), room: 'global' });
    connection.server({
      event: 'message',
      data: message(id(10), 'hello', 'a'),
    });
    assert.deepEqual(
      io.out.filter((line) => line.endsWith('hello')),
      ['[12:00:01] #global <a> hello'],
    );
  });

  it('sends one request at a time: a /join, its earlier messages, then the next line', () => {
    const { io, connection } = setup();
    io.type('/join room1', 'hi room');
    assert.equal(connection.last().event, 'join');
    connection.reply('joined', {
      room: 'room1',
      users: 2,
      members: ['a', 'b'],
    });
    assert.deepEqual(io.out.slice(-2), [
      'joined #room1 (2 users)',
      'users in #room1 (2): a, b',
    ]);
    assert.equal(io.prompt, 'a@room1> ');
    assert.deepEqual(connection.last(), {
      event: 'history',
      data: { room: 'room1', limit: 20, ref: '4' },
    });
    connection.reply('history', {
      room: 'room1',
      messages: [message(id(3), 'before you came', 'b', 'room1')],
      more: true,
    });
    assert.deepEqual(io.out.slice(-2), [
      '-- earlier messages --',
      '[12:00:01] #room1 <b> before you came',
    ]);
    assert.equal(connection.last().event, 'send');
    assert.equal(connection.last().data.text, 'hi room');
  });

  it('skips in the earlier block the messages that already came live', () => {
    const { io, connection } = setup();
    io.type('/join room1');
    connection.reply('joined', { room: 'room1', users: 1, members: ['a'] });
    connection.server({
      event: 'message',
      data: message(id(5), 'live', 'b', 'room1'),
    });
    connection.reply('history', {
      room: 'room1',
      messages: [
        message(id(4), 'older', 'b', 'room1'),
        message(id(5), 'live', 'b', 'room1'),
      ],
      more: false,
    });
    assert.deepEqual(io.out.slice(-3), [
      '[12:00:01] #room1 <b> live',
      '-- earlier messages --',
      '[12:00:01] #room1 <b> older',
    ]);
  });

  it('prints a sent DM from its reply, and says when the recipient is offline', () => {
    const { io, connection } = setup();
    io.type('/msg b psst');
    assert.deepEqual(
      { ...connection.last().data, cid: undefined },
      { to: 'b', text: 'psst', ref: '3', cid: undefined },
    );
    connection.reply('sent', { id: id(9), to: 'b', delivered: false });
    assert.match(io.out.at(-2) ?? '', /^\[\d\d:\d\d:\d\d\] DM <a -> b> psst$/);
    assert.equal(
      io.out.at(-1),
      'b is offline: they will see it when they log in',
    );
  });

  it('prints a server error and the line that was not sent, then moves on', () => {
    const { io, connection } = setup();
    io.type('/msg x hi', '/rooms');
    connection.reply('error', {
      code: 'NOT_FOUND',
      message: 'User "x" does not exist',
    });
    assert.deepEqual(io.err, [
      'error: NOT_FOUND: User "x" does not exist',
      'not sent: "/msg x hi"',
    ]);
    assert.equal(connection.last().event, 'rooms');
    connection.reply('rooms', { rooms: [{ name: 'global', users: 2 }] });
    assert.deepEqual(io.out.slice(-2), ['ROOM    USERS', 'global      2']);
  });

  it('sends a line answered TIMEOUT again with the same cid', () => {
    const { io, connection } = setup();
    io.type('important');
    const first = connection.last();
    connection.reply('error', {
      code: 'TIMEOUT',
      message: 'The chat store did not answer in time',
    });
    assert.match(
      io.err.at(-1) ?? '',
      /no answer in time for "important": sending it again/,
    );
    assert.equal(connection.last().data.cid, first.data.cid);
    assert.notEqual(connection.last().data.ref, first.data.ref);
  });

  it('answers a bad command locally and sends nothing', () => {
    const { io, connection } = setup();
    io.type('/join', '/nope', '/history 0');
    assert.equal(connection.sent.length, 2);
    assert.deepEqual(io.err, [
      'Usage: /join ROOM',
      'Unknown command "/nope": type /help for the list of commands',
      'Count "0" is invalid: use 1 to 200',
    ]);
  });

  it('pages back through the room with /history, from the oldest message shown', () => {
    const { io, connection } = setup({
      earlier: [message(id(20), 'twenty'), message(id(21), 'twenty-one')],
    });
    io.type('/history 2');
    assert.deepEqual(connection.last().data, {
      room: 'global',
      before: id(20),
      limit: 2,
      ref: '3',
    });
    connection.reply('history', {
      room: 'global',
      messages: [message(id(18), 'eighteen'), message(id(19), 'nineteen')],
      more: true,
    });
    assert.deepEqual(io.out.slice(-3), [
      '-- earlier messages --',
      '[12:00:01] #global <b> eighteen',
      '[12:00:01] #global <b> nineteen',
    ]);
    io.type('/history');
    assert.deepEqual(connection.last().data, {
      room: 'global',
      before: id(18),
      limit: 20,
      ref: '4',
    });
    connection.reply('history', { room: 'global', messages: [], more: false });
    assert.equal(io.out.at(-1), 'no earlier messages in #global');
  });

  it('shows the DM conversation with a user with /history USER', () => {
    const { io, connection } = setup();
    io.type('/history b');
    assert.deepEqual(connection.last().data, {
      with: 'b',
      limit: 20,
      ref: '3',
    });
    connection.reply('history', {
      with: 'b',
      messages: [dm(id(2), 'hi a'), dm(id(3), 'hi b', 'a', 'b')],
      more: false,
    });
    assert.deepEqual(io.out.slice(-3), [
      '-- earlier messages with b --',
      '[12:00:01] DM <b -> a> hi a',
      '[12:00:01] DM <a -> b> hi b',
    ]);
  });

  it('shows presence and subscription copies', () => {
    const { io, connection } = setup();
    connection.server({
      event: 'presence',
      data: { room: 'global', user: 'b', action: 'join' },
    });
    connection.server({
      event: 'message',
      data: { ...message(id(2), 'yo', 'b', 'room1'), via: 'subscription' },
    });
    assert.match(io.out.at(-2) ?? '', /\* b joined #global$/);
    assert.equal(io.out.at(-1), '[12:00:01] #room1 <b> yo (via subscription)');
  });

  describe('after a reconnect', () => {
    it('resumes each stream from the newest message shown of it, shows what it missed once, then says how many', () => {
      const { io, connection } = setup();
      io.type('/join room1');
      connection.reply('joined', { room: 'room1', users: 1, members: ['a'] });
      connection.reply('history', {
        room: 'room1',
        messages: [message(id(40), 'seen', 'b', 'room1')],
        more: false,
      });
      connection.server({
        event: 'message',
        data: message(id(41), 'seen live', 'b', 'room1'),
      });
      connection.drop();
      assert.match(
        io.err.at(-1) ?? '',
        /^connection to localhost:8000 lost \(code 1006\); reconnecting\.\.\.$/,
      );
      assert.equal(io.prompt, 'a@room1 (offline)> ');
      connection.restore();
      assert.equal(io.out.at(-1), 'reconnected to localhost:8081 (#room1)');
      assert.deepEqual(connection.last(), {
        event: 'resume',
        data: {
          cursors: { 'room:global': id(1), 'room:room1': id(41), dm: id(0) },
          room: 'room1',
          ref: '5',
        },
      });
      connection.server({
        event: 'message',
        data: message(id(41), 'seen live', 'b', 'room1'),
      });
      connection.server({
        event: 'message',
        data: message(id(42), 'missed', 'b', 'room1'),
      });
      connection.server({ event: 'dm', data: dm(id(43), 'missed dm') });
      connection.reply('resumed', { count: 3, complete: true, missing: [] });
      assert.deepEqual(io.out.slice(-3), [
        '[12:00:01] #room1 <b> missed',
        '[12:00:01] DM <b -> a> missed dm',
        '(caught up: 3 messages while you were away)',
      ]);
      assert.equal(io.prompt, 'a@room1> ');
    });

    it('sends the line in flight at the drop again with its cid, and lines typed offline after it', () => {
      const { io, connection } = setup({ earlier: [message(id(1), 'x')] });
      io.type('in flight');
      const inFlight = connection.last();
      connection.drop();
      io.type('typed offline');
      assert.match(
        io.err.at(-1) ?? '',
        /not connected: "typed offline" will be sent after reconnecting/,
      );
      connection.restore();
      assert.equal(connection.last().event, 'resume');
      connection.reply('resumed', { count: 0, complete: true, missing: [] });
      assert.deepEqual(connection.last().data, {
        text: 'in flight',
        cid: inFlight.data.cid,
        ref: '5',
      });
      connection.reply('sent', { id: id(2), room: 'global' });
      assert.equal(connection.last().data.text, 'typed offline');
      assert.match(String(connection.last().data.cid), /-2$/);
      assert.equal(
        io.err.some((line) => line.includes('may not have been delivered')),
        false,
      );
    });

    it('warns when the server could not replay everything', () => {
      const { io, connection } = setup({ earlier: [message(id(1), 'x')] });
      connection.drop();
      connection.restore();
      connection.reply('resumed', {
        count: 4,
        complete: false,
        missing: ['room:global'],
      });
      assert.equal(
        io.err.at(-1),
        'warning: caught up on 4 messages, but some from while you were away (room:global) are no longer kept by the server or were lost',
      );
    });

    it('re-joins its room by hand when the server cannot resume', () => {
      const { io, connection } = setup();
      io.type('/join room1');
      connection.reply('joined', { room: 'room1', users: 1, members: ['a'] });
      connection.reply('history', {
        room: 'room1',
        messages: [message(id(5), 'x', 'b', 'room1')],
        more: false,
      });
      connection.drop();
      io.type('queued');
      connection.restore();
      connection.reply('error', {
        code: 'UNKNOWN_EVENT',
        message: 'Unknown event "resume"',
      });
      assert.match(
        io.err.at(-1) ?? '',
        /^warning: this server cannot replay what was said while you were away/,
      );
      assert.deepEqual(connection.last(), {
        event: 'join',
        data: { room: 'room1', ref: '6' },
      });
      const lines = io.out.length;
      connection.reply('joined', {
        room: 'room1',
        users: 2,
        members: ['a', 'b'],
      });
      assert.equal(io.out.length, lines, 'a re-join is quiet');
      assert.equal(connection.last().event, 'history');
      connection.reply('error', {
        code: 'UNKNOWN_EVENT',
        message: 'Unknown event "history"',
      });
      assert.equal(connection.last().data.text, 'queued');
    });

    it('resumes from the cursors of its welcome and join when nothing was shown yet', () => {
      const { io, connection } = setup();
      io.type('/join room1');
      connection.reply('joined', {
        room: 'room1',
        users: 1,
        members: ['a'],
        cursor: id(7),
      });
      connection.reply('history', { room: 'room1', messages: [], more: false });
      connection.drop();
      connection.restore();
      assert.deepEqual(connection.last(), {
        event: 'resume',
        data: {
          cursors: { 'room:global': id(1), 'room:room1': id(7), dm: id(0) },
          room: 'room1',
          ref: '5',
        },
      });
    });

    it('drops a resume left over from an earlier reconnect', () => {
      const { connection } = setup({ earlier: [message(id(1), 'x')] });
      connection.drop();
      connection.restore();
      connection.drop();
      connection.restore();
      assert.deepEqual(
        connection.sent
          .filter((f) => f.event === 'resume')
          .map((f) => f.data.ref),
        ['3', '4'],
      );
      connection.reply('resumed', { count: 0, complete: true, missing: [] });
      assert.equal(connection.sent.length, 4);
    });
  });

  it('exits 0 at end of input only after the pending replies and the own room copies arrived', async () => {
    const { io, connection, exit } = setup();
    io.type('hello');
    io.end();
    let code: number | undefined;
    void exit.then((c) => (code = c));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(code, undefined);
    connection.reply('sent', { id: id(1), room: 'global' });
    connection.server({ event: 'message', data: message(id(1), 'hello', 'a') });
    assert.equal(await exit, 0);
    assert.equal(connection.closed, true);
    assert.equal(io.closed, true);
  });

  it('gives up on a reply after the timeout and exits non-zero at the end', async () => {
    const { io, exit } = setup({
      timings: { replyTimeoutMs: 30, echoGraceMs: 10 },
    });
    io.type('/rooms');
    io.end();
    assert.equal(await exit, 1);
    assert.deepEqual(io.err, ['error: no reply to "/rooms" within 0.03 s']);
  });

  it('exits 0 on /quit', async () => {
    const { io, exit } = setup();
    io.type('/quit');
    assert.equal(await exit, 0);
  });

  it('reports the queued lines as not sent and exits 1 when reconnecting gives up', async () => {
    const { io, connection, exit } = setup();
    connection.drop();
    io.type('one', 'two');
    connection.emit(
      'failed',
      new ConnectError('refused', 'Gave up reconnecting after 12 attempts'),
    );
    assert.equal(await exit, 1);
    assert.deepEqual(io.err.slice(-3), [
      'error: Gave up reconnecting after 12 attempts',
      'not sent: "one"',
      'not sent: "two"',
    ]);
  });

  describe('room moderation', () => {
    const notice = (n: number, fields: object, room = 'dev') => ({
      event: 'notice',
      data: { id: id(n), room, by: 'a', ts, ...fields },
    });
    const inDev = () => {
      const started = setup();
      started.io.type('/join dev');
      started.connection.reply('joined', {
        room: 'dev',
        users: 2,
        members: ['a', 'b'],
        cursor: id(10),
        topic: 'Deploys only',
        roles: { a: 'owner' },
      });
      started.connection.reply('history', {
        room: 'dev',
        messages: [],
        more: false,
      });
      return started;
    };

    it('shows the topic and roles on joining', () => {
      const { io } = inDev();
      assert.deepEqual(io.out.slice(-2), [
        'joined #dev (2 users), topic: Deploys only',
        'users in #dev (2): a (owner), b',
      ]);
    });

    it('sends a command for the room it is in when it goes out, or for the #room named', () => {
      const { io, connection } = setup();
      io.type('/join dev', '/kick b spamming', '/ban #ops c 10m');
      connection.reply('joined', {
        room: 'dev',
        users: 2,
        members: ['a', 'b'],
      });
      connection.reply('history', { room: 'dev', messages: [], more: false });
      assert.deepEqual(connection.last(), {
        event: 'kick',
        data: { room: 'dev', user: 'b', reason: 'spamming', ref: '5' },
      });
      connection.reply('kicked', { room: 'dev', user: 'b' });
      assert.deepEqual(connection.last(), {
        event: 'ban',
        data: { room: 'ops', user: 'c', seconds: 600, ref: '6' },
      });
      const until = Date.now() + 600_000;
      connection.reply('banned', { room: 'ops', user: 'c', until });
      assert.match(
        io.out.at(-1) ?? '',
        /^banned c from #ops until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d$/,
      );
      assert.equal(
        io.out.some((line) => line.includes('kicked b from')),
        false,
        'in the room, the notice says it',
      );
    });

    it('prints notices once, and resumes the room from the newest one', () => {
      const { io, connection } = inDev();
      connection.server(
        notice(11, { action: 'kick', user: 'b', reason: 'spam' }),
      );
      connection.server(
        notice(11, { action: 'kick', user: 'b', reason: 'spam' }),
      );
      assert.deepEqual(
        io.out.filter((line) => line.includes('kicked')),
        ['[12:00:01] #dev * a kicked b: spam'],
      );
      connection.drop();
      connection.restore();
      const resume = connection.last();
      assert.equal(resume.event, 'resume');
      assert.equal(
        (resume.data.cursors as Record<string, string>)['room:dev'],
        id(11),
      );
    });

    it('shows the notices of a history page among its messages', () => {
      const { io, connection } = inDev();
      io.type('/history');
      connection.reply('history', {
        room: 'dev',
        messages: [
          message(id(3), 'hello', 'b', 'dev'),
          notice(4, { action: 'op', user: 'b' }).data,
        ],
        more: false,
      });
      assert.deepEqual(io.out.slice(-3), [
        '-- earlier messages --',
        '[12:00:01] #dev <b> hello',
        '[12:00:01] #dev * a made b an operator',
      ]);
    });

    it('says who removed us and why, and is back in #global', () => {
      const { io, connection } = inDev();
      connection.server({
        event: 'removed',
        data: { room: 'dev', action: 'kick', by: 'b', reason: 'spamming' },
      });
      assert.equal(io.out.at(-1), 'you were kicked from #dev by b: spamming');
      assert.equal(io.prompt, 'a@global> ');
      assert.deepEqual(connection.last(), {
        event: 'who',
        data: { ref: '5' },
      });
      connection.reply('who', { room: 'global', users: ['a'] });
      assert.deepEqual(connection.last().data, {
        room: 'global',
        limit: 20,
        ref: '6',
      });
      io.type('hello');
      connection.reply('history', {
        room: 'global',
        messages: [],
        more: false,
      });
      assert.equal(connection.last().event, 'send');
    });

    it('says plainly why a join or a line was refused', () => {
      const { io, connection } = setup();
      io.type('/join dev');
      connection.reply('error', {
        code: 'BANNED',
        message: 'You are banned from #dev until 14:00',
      });
      io.type('hello');
      connection.reply('error', {
        code: 'MUTED',
        message: 'You are muted in #global',
      });
      assert.deepEqual(io.err, [
        'refused: You are banned from #dev until 14:00 (BANNED)',
        'refused: You are muted in #global (MUTED)',
        'not sent: "hello"',
      ]);
      assert.equal(io.prompt, 'a@global> ');
    });

    it('stops and exits 1 when the account is disabled', async () => {
      const { io, connection, exit } = setup();
      connection.connected = false;
      connection.emit('failed', ConnectError.disabled('localhost:8000'));
      assert.equal(await exit, 1);
      assert.match(
        io.err.at(-1) ?? '',
        /^error: localhost:8000 closed the connection: your account has been disabled by an administrator \(code 4403\)/,
      );
    });
  });
});
