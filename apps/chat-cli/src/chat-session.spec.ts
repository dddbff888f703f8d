import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';

import { Frame, ServerFrame } from '@app/protocol';

import { Established } from './chat-connection';
import { Stream } from './chat-console';
import { ChatSession, SessionConsole, SessionConnection } from './chat-session';
import { ConnectError } from './connect-error';
import { EventRenderer } from './event-renderer';

class FakeConsole implements SessionConsole {
  readonly terminal = false;
  readonly out: string[] = [];
  readonly err: string[] = [];
  prompt = '';
  closed = false;
  private onLine?: (line: string) => void;
  private onEnd?: () => void;

  start(prompt: string, onLine: (line: string) => void, onEnd: () => void): void {
    this.prompt = prompt;
    this.onLine = onLine;
    this.onEnd = onEnd;
  }
  onInterrupt(): void {}
  setPrompt(prompt: string): void {
    this.prompt = prompt;
  }
  print(text: string, stream: Stream = 'out'): void {
    (stream === 'err' ? this.err : this.out).push(...text.split('\n'));
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
}

class FakeConnection extends EventEmitter implements SessionConnection {
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
  server(frame: ServerFrame | Frame): void {
    this.emit('frame', frame);
  }
  lastRef(): string {
    return String(this.sent.at(-1)?.data.ref);
  }
}

const established = (port = 8000): Established => ({
  endpoint: { host: 'localhost', port },
  login: { token: 't', username: 'a', created: true },
  welcome: { username: 'a', instance: 'i1', room: 'global', unreadDms: 0 },
});

describe(ChatSession.name, () => {
  const ts = new Date(2026, 0, 2, 12, 0, 1).getTime();
  const setup = (timings = { replyTimeoutMs: 2000, echoGraceMs: 100 }) => {
    const io = new FakeConsole();
    const connection = new FakeConnection();
    const sut = new ChatSession('a', io, connection, new EventRenderer(false), undefined, timings);
    const exit = sut.run(established());
    return { io, connection, sut, exit };
  };

  it('says who logged in, whether the account is new, and where it is connected', () => {
    const { io } = setup();
    assert.deepEqual(io.out, ['logged in as a (new account created)', 'connected to localhost:8000 (#global)']);
    assert.equal(io.prompt, 'a@global> ');
  });

  it('sends typed text with a ref and prints the room copy', () => {
    const { io, connection } = setup();
    io.type('hello');
    assert.deepEqual(connection.sent, [{ event: 'send', data: { text: 'hello', ref: '1' } }]);
    connection.server({ event: 'sent', data: { ref: '1', id: 'm1', room: 'global' } });
    connection.server({ event: 'message', data: { id: 'm1', room: 'global', from: 'a', text: 'hello', ts } });
    assert.equal(io.out.at(-1), '[12:00:01] #global <a> hello');
  });

  it('sends one request at a time, in order, so a /join is done before the next line', () => {
    const { io, connection } = setup();
    io.type('/join room1', 'hi room');
    assert.equal(connection.sent.length, 1);
    connection.server({ event: 'joined', data: { ref: '1', room: 'room1', users: 2 } });
    assert.deepEqual(connection.sent[1], { event: 'send', data: { text: 'hi room', ref: '2' } });
    assert.equal(io.out.at(-1), 'joined #room1 (2 users)');
    assert.equal(io.prompt, 'a@room1> ');
  });

  it('prints a sent DM from its reply, since the server does not echo it to this session', () => {
    const { io, connection } = setup();
    io.type('/msg b psst');
    assert.deepEqual(connection.sent[0], { event: 'dm', data: { to: 'b', text: 'psst', ref: '1' } });
    connection.server({ event: 'sent', data: { ref: '1', id: 'd1', to: 'b' } });
    assert.match(io.out.at(-1) ?? '', /^\[\d\d:\d\d:\d\d\] DM <a -> b> psst$/);
  });

  it('prints server errors on stderr and moves on to the next line', () => {
    const { io, connection } = setup();
    io.type('/msg x hi', '/rooms');
    connection.server({ event: 'error', data: { ref: '1', code: 'OFFLINE', message: 'User "x" is not online' } });
    assert.deepEqual(io.err, ['error: OFFLINE: User "x" is not online']);
    assert.equal(connection.sent[1].event, 'rooms');
    connection.server({ event: 'rooms', data: { ref: '2', rooms: [{ name: 'global', users: 2 }] } });
    assert.deepEqual(io.out.slice(-2), ['ROOM    USERS', 'global      2']);
  });

  it('answers a bad command locally and sends nothing', () => {
    const { io, connection } = setup();
    io.type('/join', '/nope');
    assert.equal(connection.sent.length, 0);
    assert.deepEqual(io.err, ['Usage: /join ROOM', 'Unknown command "/nope": type /help for the list of commands']);
  });

  it('shows presence, subscription copies and incoming DMs', () => {
    const { io, connection } = setup();
    connection.server({ event: 'presence', data: { room: 'global', user: 'b', action: 'join' } });
    connection.server({ event: 'message', data: { id: 'm2', room: 'room1', from: 'b', text: 'yo', ts, via: 'subscription' } });
    connection.server({ event: 'dm', data: { id: 'd2', from: 'b', to: 'a', text: 'hey', ts } });
    assert.match(io.out[2], /\* b joined #global$/);
    assert.deepEqual(io.out.slice(3), ['[12:00:01] #room1 <b> yo (via subscription)', '[12:00:01] DM <b -> a> hey']);
  });

  it('exits 0 at end of input only after the pending replies and the own room copies arrived', async () => {
    const { io, connection, exit } = setup();
    io.type('hello');
    io.end();
    let code: number | undefined;
    void exit.then((c) => (code = c));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(code, undefined);
    connection.server({ event: 'message', data: { id: 'm1', room: 'global', from: 'a', text: 'hello', ts } });
    connection.server({ event: 'sent', data: { ref: '1', id: 'm1', room: 'global' } });
    assert.equal(await exit, 0);
    assert.equal(connection.closed, true);
    assert.equal(io.closed, true);
  });

  it('gives up on a reply after the timeout and exits non-zero at the end', async () => {
    const { io, exit } = setup({ replyTimeoutMs: 30, echoGraceMs: 10 });
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

  it('queues lines while disconnected, then re-joins its room first and sends them after reconnecting', () => {
    const { io, connection } = setup();
    io.type('/join room1');
    connection.server({ event: 'joined', data: { ref: '1', room: 'room1', users: 1 } });
    connection.connected = false;
    connection.emit('down', { endpoint: { host: 'localhost', port: 8000 }, code: 1001, reason: '' });
    assert.match(io.err.at(-1) ?? '', /^connection to localhost:8000 lost \(code 1001, server going away\); reconnecting\.\.\.$/);
    assert.equal(io.prompt, 'a@room1 (offline)> ');
    io.type('still here');
    assert.match(io.err.at(-1) ?? '', /not connected: "still here" will be sent after reconnecting/);
    connection.connected = true;
    connection.emit('up', established(8081));
    assert.deepEqual(connection.sent.at(-1), { event: 'join', data: { room: 'room1', ref: '2' } });
    connection.server({ event: 'joined', data: { ref: '2', room: 'room1', users: 2 } });
    assert.equal(io.out.at(-1), 'reconnected to localhost:8081 (#room1)');
    assert.deepEqual(connection.sent.at(-1), { event: 'send', data: { text: 'still here', ref: '3' } });
    assert.equal(io.prompt, 'a@room1> ');
  });

  it('does not resend a message that was in flight when the connection dropped, and says so', () => {
    const { io, connection } = setup();
    io.type('maybe lost');
    connection.connected = false;
    connection.emit('down', { endpoint: { host: 'localhost', port: 8000 }, code: 1006, reason: '' });
    assert.match(io.err.at(-1) ?? '', /"maybe lost" may not have been delivered/);
    connection.connected = true;
    connection.emit('up', established());
    assert.equal(io.out.at(-1), 'reconnected to localhost:8000 (#global)');
    assert.equal(connection.sent.length, 1);
  });

  it('reports the queued lines as not sent and exits 1 when reconnecting gives up', async () => {
    const { io, connection, exit } = setup();
    connection.connected = false;
    connection.emit('down', { endpoint: { host: 'localhost', port: 8000 }, code: 1006, reason: '' });
    io.type('one', 'two');
    connection.emit('failed', new ConnectError('refused', 'Gave up reconnecting after 12 attempts'));
    assert.equal(await exit, 1);
    assert.deepEqual(io.err.slice(-3), ['error: Gave up reconnecting after 12 attempts', 'not sent: "one"', 'not sent: "two"']);
  });
});
