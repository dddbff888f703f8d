import {
  ClientEvent,
  CLOSE_GOING_AWAY,
  CLOSE_UNAUTHORIZED,
  Frame,
  LOBBY,
  Ref,
  ServerEvent,
  ServerFrame,
} from '@app/protocol';

import { Dropped, Established, Retrying } from './chat-connection';
import { Stream } from './chat-console';
import { Command, CommandParser, Request } from './command-parser';
import { ConnectError } from './connect-error';
import { EventRenderer } from './event-renderer';
import { address } from './login-client';

/** The parts of ChatConsole the session uses. */
export interface SessionConsole {
  readonly terminal: boolean;
  start(prompt: string, onLine: (line: string) => void, onEnd: () => void): void;
  onInterrupt(handler: () => void): void;
  setPrompt(prompt: string): void;
  print(text: string, stream?: Stream): void;
  close(): void;
}

/** The parts of ChatConnection the session uses. */
export interface SessionConnection {
  readonly connected: boolean;
  send(frame: Frame): boolean;
  close(): Promise<void>;
  on(event: 'frame', listener: (frame: ServerFrame) => void): unknown;
  on(event: 'down', listener: (dropped: Dropped) => void): unknown;
  on(event: 'retry', listener: (retrying: Retrying) => void): unknown;
  on(event: 'up', listener: (established: Established) => void): unknown;
  on(event: 'failed', listener: (error: ConnectError) => void): unknown;
}

export interface SessionTimings {
  /** How long a request may wait for its direct reply. */
  replyTimeoutMs: number;
  /** At end of input, how long to wait for the room copy of our own last messages. */
  echoGraceMs: number;
}

interface Outgoing {
  request: Request;
  /** Set for the automatic re-join after a reconnect: its reply prints the "reconnected" line. */
  rejoinedAt?: string;
}

interface InFlight {
  ref: string;
  item: Outgoing;
  timer: NodeJS.Timeout;
}

/**
 * One chat session on top of a (reconnecting) connection: turns typed lines into requests, sends
 * them one at a time in order, matches replies by ref, prints every event, keeps the current room,
 * and queues lines while the connection is down.
 */
export class ChatSession {
  private room = LOBBY;
  private readonly outbox: Outgoing[] = [];
  private inFlight?: InFlight;
  private readonly echoes = new Set<string>();
  private readonly seen = new Set<string>();
  private seq = 0;
  private ending = false;
  private failures = 0;
  private done?: (code: number) => void;
  private finished = false;

  constructor(
    private readonly username: string,
    private readonly console: SessionConsole,
    private readonly connection: SessionConnection,
    private readonly renderer: EventRenderer,
    private readonly parser = new CommandParser(),
    private readonly timings: SessionTimings = { replyTimeoutMs: 10_000, echoGraceMs: 2_000 },
  ) {}

  /** Runs until /quit, end of input or a lost connection; resolves the process exit code. */
  run(established: Established): Promise<number> {
    const exit = new Promise<number>((resolve) => (this.done = resolve));
    const account = established.login.created ? 'new account created' : 'existing account';
    this.info(`logged in as ${this.username} (${account})`);
    this.room = established.welcome.room || LOBBY;
    this.info(`connected to ${address(established.endpoint)} (#${this.room})`);
    if (this.console.terminal) this.info('type /help for the commands, /quit to leave');
    this.connection.on('frame', (frame) => this.receive(frame));
    this.connection.on('down', (dropped) => this.down(dropped));
    this.connection.on('retry', (retrying) => this.retry(retrying));
    this.connection.on('up', (again) => this.up(again));
    this.connection.on('failed', (error) => this.failed(error));
    this.console.onInterrupt(() => void this.finish(130));
    this.console.start(this.prompt(), (line) => this.typed(line), () => this.endOfInput());
    return exit;
  }

  private typed(line: string): void {
    if (this.finished || this.ending) return;
    this.handle(this.parser.parse(line));
    this.console.setPrompt(this.prompt());
  }

  private handle(command: Command): void {
    switch (command.kind) {
      case 'none':
        return;
      case 'hint':
        return this.console.print(this.renderer.problem(command.message), 'err');
      case 'help':
        return this.console.print(['Commands:', ...this.parser.helpLines()].join('\n'));
      case 'quit':
        if (!this.connection.connected) return this.quitOffline();
        if (!this.inFlight && this.outbox.length === 0) return void this.finish(0);
        this.ending = true;
        return;
      case 'request':
        this.outbox.push({ request: command });
        if (!this.connection.connected) {
          this.console.print(this.renderer.warning(`not connected: "${command.line}" will be sent after reconnecting`), 'err');
        }
        return this.pump();
    }
  }

  private pump(): void {
    while (!this.inFlight && this.outbox.length > 0 && !this.finished) {
      const item = this.outbox[0];
      const ref = String(this.seq + 1);
      if (!this.connection.send({ event: item.request.event, data: { ...item.request.data, ref } })) return;
      this.seq++;
      const timer = setTimeout(() => this.timedOut(ref), this.timings.replyTimeoutMs);
      this.inFlight = { ref, item, timer };
    }
    this.maybeFinish();
  }

  private receive(frame: ServerFrame): void {
    if (this.finished) return;
    switch (frame.event) {
      case ServerEvent.Message:
        this.remember(frame.data.id);
        this.console.print(this.renderer.message(frame.data, this.username));
        break;
      case ServerEvent.Dm:
        this.console.print(this.renderer.dm(frame.data));
        break;
      case ServerEvent.Presence:
        this.console.print(this.renderer.presence(frame.data));
        break;
      case ServerEvent.Error:
        this.console.print(this.renderer.error(frame.data), 'err');
        this.replied(frame.data.ref, true);
        break;
      case ServerEvent.Joined:
        this.room = frame.data.room;
        this.console.setPrompt(this.prompt());
        if (!this.isRejoin(frame.data.ref)) this.console.print(this.renderer.joined(frame.data));
        this.replied(frame.data.ref);
        break;
      case ServerEvent.Rooms:
        this.console.print(this.renderer.rooms(frame.data.rooms).join('\n'));
        this.replied(frame.data.ref);
        break;
      case ServerEvent.Who:
        this.console.print(this.renderer.who(frame.data));
        this.replied(frame.data.ref);
        break;
      case ServerEvent.Subscribed:
        this.console.print(this.renderer.subscribed(frame.data.user));
        this.replied(frame.data.ref);
        break;
      case ServerEvent.Unsubscribed:
        this.console.print(this.renderer.unsubscribed(frame.data.user));
        this.replied(frame.data.ref);
        break;
      case ServerEvent.Sent:
        this.sent(frame.data.ref, frame.data.id, frame.data.to);
        break;
    }
  }

  /** A DM is not echoed to the session that sent it, so its reply prints it; a room message waits for its echo. */
  private sent(ref: Ref | undefined, id: string, to: string | undefined): void {
    const request = this.inFlight && String(ref) === this.inFlight.ref ? this.inFlight.item.request : undefined;
    if (request?.event === ClientEvent.Dm) {
      this.console.print(this.renderer.dm({ from: this.username, to: to ?? request.data.to, text: request.data.text, ts: Date.now() }));
    } else if (request?.event === ClientEvent.Send && !this.seen.has(id)) {
      this.echoes.add(id);
    }
    this.replied(ref);
  }

  /** Message ids seen lately, since a room message's copy can arrive before or after its `sent` reply. */
  private remember(id: string): void {
    this.echoes.delete(id);
    this.seen.add(id);
    if (this.seen.size > 256) this.seen.delete(this.seen.values().next().value as string);
  }

  private isRejoin(ref: Ref | undefined): boolean {
    return Boolean(this.inFlight?.item.rejoinedAt && String(ref) === this.inFlight.ref);
  }

  private replied(ref: Ref | undefined, failed = false): void {
    const flight = this.inFlight;
    if (!flight || ref === undefined || String(ref) !== flight.ref) return;
    clearTimeout(flight.timer);
    this.inFlight = undefined;
    this.outbox.shift();
    if (flight.item.rejoinedAt) {
      if (failed) this.room = LOBBY;
      this.console.setPrompt(this.prompt());
      this.info(`reconnected to ${flight.item.rejoinedAt} (#${this.room})`);
    }
    this.pump();
  }

  private timedOut(ref: string): void {
    if (this.inFlight?.ref !== ref) return;
    this.failures++;
    this.console.print(this.renderer.problem(`error: no reply to "${this.inFlight.item.request.line}" within ${this.timings.replyTimeoutMs / 1000} s`), 'err');
    this.replied(ref, true);
  }

  private down(dropped: Dropped): void {
    const why = dropped.code === CLOSE_GOING_AWAY ? 'server going away' : dropped.code === CLOSE_UNAUTHORIZED ? 'session expired' : '';
    const detail = [`code ${dropped.code}`, why || dropped.reason].filter(Boolean).join(', ');
    this.console.print(this.renderer.problem(`connection to ${address(dropped.endpoint)} lost (${detail}); reconnecting...`), 'err');
    const flight = this.inFlight;
    if (flight) {
      clearTimeout(flight.timer);
      this.inFlight = undefined;
      // A message may or may not have reached the server; re-sending could post it twice.
      if (flight.item.request.event === ClientEvent.Send || flight.item.request.event === ClientEvent.Dm) {
        this.outbox.shift();
        this.console.print(this.renderer.warning(`"${flight.item.request.line}" may not have been delivered (no reply before the drop)`), 'err');
      }
    }
    this.console.setPrompt(this.prompt());
  }

  private retry(retrying: Retrying): void {
    const seconds = (retrying.delayMs / 1000).toFixed(1);
    const last = retrying.error ? ` (${retrying.error.message})` : '';
    this.console.print(
      this.renderer.warning(`reconnecting to ${address(retrying.endpoint)} in ${seconds} s, attempt ${retrying.attempt} of ${retrying.attempts}${last}`),
      'err',
    );
  }

  private up(established: Established): void {
    const where = address(established.endpoint);
    // Drop a stale re-join left over from an earlier drop: a fresh one goes first.
    if (this.outbox[0]?.rejoinedAt) this.outbox.shift();
    if (this.room === LOBBY) {
      this.console.setPrompt(this.prompt());
      this.info(`reconnected to ${where} (#${LOBBY})`);
    } else {
      const request: Request = { kind: 'request', event: ClientEvent.Join, data: { room: this.room }, line: `/join ${this.room}` };
      this.outbox.unshift({ request, rejoinedAt: where });
    }
    this.pump();
  }

  private failed(error: ConnectError): void {
    this.console.print(this.renderer.problem(`error: ${error.message}`), 'err');
    this.reportUnsent();
    void this.finish(1);
  }

  private quitOffline(): void {
    this.reportUnsent();
    void this.finish(0);
  }

  private reportUnsent(): void {
    for (const item of this.outbox.splice(0)) {
      if (!item.rejoinedAt) this.console.print(this.renderer.problem(`not sent: "${item.request.line}"`), 'err');
    }
  }

  private endOfInput(): void {
    this.ending = true;
    this.maybeFinish();
  }

  /** At end of input: once every request has its reply, wait briefly for our own messages to come back, then exit. */
  private maybeFinish(): void {
    if (!this.ending || this.finished || this.inFlight || this.outbox.length > 0 || !this.connection.connected) return;
    const code = this.failures > 0 ? 1 : 0;
    if (this.echoes.size === 0) return void this.finish(code);
    const deadline = Date.now() + this.timings.echoGraceMs;
    const poll = setInterval(() => {
      if (this.echoes.size > 0 && Date.now() < deadline) return;
      clearInterval(poll);
      void this.finish(code);
    }, 20);
  }

  private async finish(code: number): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.console.close();
    await this.connection.close();
    this.done?.(code);
  }

  private prompt(): string {
    const offline = this.connection.connected ? '' : ' (offline)';
    return this.renderer.prompt(this.username, `${this.room}${offline}`);
  }

  private info(text: string): void {
    this.console.print(this.renderer.info(text));
  }
}
