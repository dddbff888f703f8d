import {
  ChatCommand,
  ChatMessage,
  ClientEvent,
  CLOSE_GOING_AWAY,
  CLOSE_SERVICE_RESTART,
  CLOSE_UNAUTHORIZED,
  CommandParser,
  commandPayload,
  CommandRequest,
  DirectMessage,
  DM_STREAM,
  Frame,
  Joined,
  LOBBY,
  messageStream,
  Notice,
  Removed,
  ServerEvent,
  ServerFrame,
  Welcome,
} from '@app/protocol';

import { address } from './auth-client';
import { Dropped, Established } from './chat-connection';
import { Stream } from './chat-console';
import { ConnectError } from './connect-error';
import { EventRenderer } from './event-renderer';
import { HistoryView } from './history-view';
import { Outbox } from './outbox';
import { QueuedRequest, RequestOrigin, RequestQueue } from './request-queue';
import { ResumeFlow } from './resume-flow';
import { Retrying } from './retry-loop';
import { ShownMessages } from './shown-messages';

/** The parts of ChatConsole the REPL uses. */
export interface ReplConsole {
  readonly terminal: boolean;
  start(
    prompt: string,
    onLine: (line: string) => void,
    onEnd: () => void,
  ): void;
  onInterrupt(handler: () => void): void;
  setPrompt(prompt: string): void;
  print(text: string, stream?: Stream): void;
  eraseTyped(): void;
  close(): void;
}

/** The parts of ChatConnection the REPL uses. */
export interface ReplConnection {
  readonly connected: boolean;
  send(frame: Frame): boolean;
  close(): Promise<void>;
  on(event: 'frame', listener: (frame: ServerFrame) => void): unknown;
  on(event: 'down', listener: (dropped: Dropped) => void): unknown;
  on(event: 'retry', listener: (retrying: Retrying) => void): unknown;
  on(event: 'up', listener: (established: Established) => void): unknown;
  on(event: 'failed', listener: (error: ConnectError) => void): unknown;
}

export interface ReplTimings {
  /** How long a request may wait for its direct reply. */
  replyTimeoutMs: number;
  /** At end of input, how long to wait for the room copy of our own last messages. */
  echoGraceMs: number;
}

/**
 * The chat loop on top of a reconnecting connection: typed lines become requests (sent in order by
 * the queue), pushed frames are shown once each (tracked by id), and after a reconnect it resumes from
 * the newest message shown, so nothing said meanwhile is lost or shown twice.
 */
export class ChatRepl {
  private room = LOBBY;
  private readonly queue: RequestQueue;
  private readonly shown = new ShownMessages();
  private readonly history: HistoryView;
  private readonly outbox: Outbox;
  private readonly resume: ResumeFlow;
  private ending = false;
  private echoWait?: NodeJS.Timeout;
  private failures = 0;
  private done?: (code: number) => void;
  private finished = false;

  constructor(
    private readonly username: string,
    private readonly console: ReplConsole,
    private readonly connection: ReplConnection,
    private readonly renderer: EventRenderer,
    private readonly parser = new CommandParser(),
    private readonly timings: ReplTimings = {
      replyTimeoutMs: 10_000,
      echoGraceMs: 2_000,
    },
  ) {
    this.queue = new RequestQueue(
      connection,
      timings.replyTimeoutMs,
      (request) => this.timedOut(request),
    );
    const print = (text: string, stream?: Stream): void =>
      console.print(text, stream);
    this.outbox = new Outbox(username, renderer, this.shown, print, (request) =>
      this.queue.addFirst(request),
    );
    this.history = new HistoryView(
      username,
      renderer,
      this.shown,
      print,
      () => this.room,
    );
    this.resume = new ResumeFlow(
      renderer,
      this.queue,
      this.shown,
      this.history,
      print,
      {
        current: () => this.room,
        enter: (room) => this.enter(room),
        rejoined: (joined) => this.joined(joined, false),
        show: (reply) => this.show(reply),
      },
    );
  }

  /** Runs until /quit, end of input or a lost connection; resolves the process exit code. */
  run(established: Established): Promise<number> {
    const exit = new Promise<number>((resolve) => (this.done = resolve));
    const account = established.login?.created
      ? 'new account created'
      : 'existing account';
    this.info(`logged in as ${this.username} (${account})`);
    this.room = established.welcome.room || LOBBY;
    this.shown.noteCursors(established.welcome.cursors ?? {});
    this.info(`connected to ${address(established.endpoint)} (#${this.room})`);
    if (this.console.terminal)
      this.info('type /help for the commands, /quit to leave');
    this.announceUnread(established.welcome);
    this.connection.on('frame', (frame) => this.receive(frame));
    this.connection.on('down', (dropped) => this.down(dropped));
    this.connection.on('retry', (retrying) => this.retry(retrying));
    this.connection.on('up', (again) => this.up(again));
    this.connection.on('failed', (error) => this.failed(error));
    this.console.onInterrupt(() => void this.finish(130));
    this.queue.add(this.request(ClientEvent.Who, {}, '/who', 'auto'));
    this.queue.add(this.history.earlier('auto'));
    this.console.start(
      this.prompt(),
      (line) => this.typed(line),
      () => this.endOfInput(),
    );
    return exit;
  }

  private typed(line: string): void {
    if (this.finished || this.ending) return;
    this.handle(this.parser.parse(line));
    this.console.setPrompt(this.prompt());
  }

  private handle(command: ChatCommand): void {
    switch (command.kind) {
      case 'none':
        return;
      case 'hint':
        return this.console.print(
          this.renderer.problem(command.message),
          'err',
        );
      case 'help':
        return this.console.print(
          ['Commands:', ...this.parser.helpLines()].join('\n'),
        );
      case 'quit':
        if (!this.connection.connected) return this.quitOffline();
        if (this.queue.idle) return void this.finish(0);
        this.ending = true;
        return;
      case 'request':
        if (
          command.event === ClientEvent.Send ||
          command.event === ClientEvent.Dm
        )
          this.console.eraseTyped();
        if (!this.connection.connected) {
          this.console.print(
            this.renderer.warning(
              `not connected: "${command.line}" will be sent after reconnecting`,
            ),
            'err',
          );
        }
        return this.queue.add(this.typedRequest(command));
    }
  }

  private typedRequest(command: CommandRequest): QueuedRequest {
    switch (command.event) {
      case ClientEvent.Send:
      case ClientEvent.Dm:
        return this.outbox.post(command);
      case ClientEvent.History:
        return this.history.page(command);
      default:
        return {
          event: command.event,
          line: command.line,
          origin: 'typed',
          // A room command that named no room is for the room we are in when it goes out.
          payload: () => commandPayload(command, this.room),
          settle: (reply) => this.show(reply),
        };
    }
  }

  /** A request whose reply is shown as it comes (`joined`, `rooms`, `who`, ...). */
  private request(
    event: ClientEvent,
    data: object,
    line: string,
    origin: RequestOrigin,
  ): QueuedRequest {
    return {
      event,
      line,
      origin,
      payload: () => ({ ...data }),
      settle: (reply) => this.show(reply),
    };
  }

  private receive(frame: ServerFrame): void {
    if (this.finished) return;
    if (!this.queue.settle(frame)) this.push(frame);
    this.maybeFinish();
  }

  /** Frames that answer no request in flight. */
  private push(frame: ServerFrame): void {
    switch (frame.event) {
      case ServerEvent.Message:
        return this.showMessage(frame.data);
      case ServerEvent.Dm:
        return this.showDm(frame.data);
      case ServerEvent.Presence:
        return this.console.print(this.renderer.presence(frame.data));
      case ServerEvent.Notice:
        return this.showNotice(frame.data);
      case ServerEvent.Removed:
        return this.removed(frame.data);
      case ServerEvent.Error:
        return this.console.print(this.renderer.error(frame.data), 'err');
      case ServerEvent.Joined:
        // A late reply (its request timed out): the server moved us all the same.
        return this.enter(frame.data.room);
    }
  }

  private showMessage(m: ChatMessage): void {
    if (!this.shown.firstSight(messageStream(m), m.id)) return;
    this.outbox.echoed(m.id);
    if (m.via === undefined && m.room === this.room)
      this.shown.noteIn(`#${m.room}`, m.id);
    this.console.print(this.renderer.message(m, this.username));
  }

  /** A moderation action or setting change: stored in the room's stream, so it moves the room's cursor like a message. */
  private showNotice(n: Notice): void {
    if (!this.shown.firstSight(`room:${n.room}`, n.id)) return;
    if (n.room === this.room) this.shown.noteIn(`#${n.room}`, n.id);
    this.console.print(this.renderer.notice(n));
  }

  /** Kicked or banned: the server has put this session back in the lobby. */
  private removed(r: Removed): void {
    this.console.print(this.renderer.removed(r));
    if (r.room !== this.room) return;
    this.enter(LOBBY);
    this.queue.add(this.request(ClientEvent.Who, {}, '/who', 'auto'));
    this.queue.add(this.history.earlier('auto'));
  }

  private showDm(d: DirectMessage): void {
    if (!this.shown.firstSight(DM_STREAM, d.id)) return;
    this.shown.noteIn(`@${d.from === this.username ? d.to : d.from}`, d.id);
    this.console.print(this.renderer.dm(d));
  }

  /** Shows a reply: the typed command's answer, or its error. */
  private show(reply: ServerFrame): void {
    switch (reply.event) {
      case ServerEvent.Joined:
        return this.joined(reply.data, true);
      case ServerEvent.Rooms:
        return this.console.print(
          this.renderer.rooms(reply.data.rooms).join('\n'),
        );
      case ServerEvent.Who:
        return this.console.print(this.renderer.who(reply.data));
      case ServerEvent.Subscribed:
        if (reply.data.cursor)
          this.shown.noteCursors(
            { [`said:${reply.data.user}`]: reply.data.cursor },
            true,
          );
        return this.console.print(this.renderer.subscribed(reply.data.user));
      case ServerEvent.Unsubscribed:
        return this.console.print(this.renderer.unsubscribed(reply.data.user));
      case ServerEvent.Banned:
      case ServerEvent.Deopped:
      case ServerEvent.Invited:
      case ServerEvent.Kicked:
      case ServerEvent.Muted:
      case ServerEvent.Opped:
      case ServerEvent.OwnerSet:
      case ServerEvent.Unbanned:
      case ServerEvent.Unmuted:
        // In the room, its notice says it (to everyone there, us included).
        if (reply.data.room !== this.room)
          this.console.print(this.renderer.moderated(reply.event, reply.data));
        return;
      case ServerEvent.Topic:
        if (reply.data.room !== this.room)
          this.console.print(this.renderer.topicSet(reply.data));
        return;
      case ServerEvent.Private:
        if (reply.data.room !== this.room)
          this.console.print(this.renderer.privacySet(reply.data));
        return;
      case ServerEvent.Error:
        return this.console.print(this.renderer.error(reply.data), 'err');
    }
  }

  /** In a room (after /join, /leave or a re-join): says so unless `quiet`, then shows its latest messages. */
  private joined(joined: Joined, announce: boolean): void {
    this.enter(joined.room);
    if (joined.cursor)
      this.shown.noteCursors({ [`room:${joined.room}`]: joined.cursor }, true);
    if (announce) {
      this.console.print(this.renderer.joined(joined));
      if (Array.isArray(joined.members))
        this.console.print(
          this.renderer.who({
            room: joined.room,
            users: joined.members,
            roles: joined.roles,
          }),
        );
    }
    this.queue.addFirst(this.history.earlier(announce ? 'auto' : 'reconnect'));
  }

  private enter(room: string): void {
    if (room !== this.room) this.shown.forget(`#${room}`);
    this.room = room;
    this.console.setPrompt(this.prompt());
  }

  private down(dropped: Dropped): void {
    const why =
      dropped.code === CLOSE_GOING_AWAY
        ? 'server going away'
        : dropped.code === CLOSE_SERVICE_RESTART
          ? 'server restarting'
          : dropped.code === CLOSE_UNAUTHORIZED
            ? 'session expired'
            : '';
    const detail = [`code ${dropped.code}`, why || dropped.reason]
      .filter(Boolean)
      .join(', ');
    this.console.print(
      this.renderer.problem(
        `connection to ${address(dropped.endpoint)} lost (${detail}); reconnecting...`,
      ),
      'err',
    );
    // Whatever was in flight is sent again after reconnecting; lines carry a cid, so none is doubled.
    this.queue.requeue();
    this.console.setPrompt(this.prompt());
  }

  private retry(retrying: Retrying): void {
    const seconds = (retrying.delayMs / 1000).toFixed(1);
    const last = retrying.error ? ` (${retrying.error.message})` : '';
    this.console.print(
      this.renderer.warning(
        `reconnecting to ${address(retrying.endpoint)} in ${seconds} s, attempt ${retrying.attempt} of ${retrying.attempts}${last}`,
      ),
      'err',
    );
  }

  /** Back online: the first frame resumes from the newest message shown (or, failing that, re-joins the room). */
  private up(established: Established): void {
    this.queue.discard((request) => request.origin === 'reconnect');
    this.console.setPrompt(this.prompt());
    this.info(
      `reconnected to ${address(established.endpoint)} (#${this.room})`,
    );
    this.announceUnread(established.welcome);
    this.resume.start();
    this.shown.noteCursors(established.welcome.cursors ?? {});
  }

  private announceUnread(welcome: Welcome): void {
    if (welcome.unreadDms > 0)
      this.console.print(this.renderer.unreadDms(welcome.unreadDms));
  }

  private failed(error: ConnectError): void {
    this.console.print(this.renderer.problem(`error: ${error.message}`), 'err');
    this.reportUnsent();
    void this.finish(1);
  }

  private timedOut(request: QueuedRequest): void {
    this.failures++;
    this.console.print(
      this.renderer.problem(
        `error: no reply to "${request.line}" within ${this.timings.replyTimeoutMs / 1000} s`,
      ),
      'err',
    );
    this.maybeFinish();
  }

  private quitOffline(): void {
    this.reportUnsent();
    void this.finish(0);
  }

  private reportUnsent(): void {
    for (const request of this.queue.clear()) {
      if (request.origin === 'typed')
        this.console.print(
          this.renderer.problem(`not sent: "${request.line}"`),
          'err',
        );
    }
  }

  private endOfInput(): void {
    this.ending = true;
    this.maybeFinish();
  }

  /** At end of input: once every request has its reply, wait briefly for our own messages to come back, then exit. */
  private maybeFinish(): void {
    if (
      !this.ending ||
      this.finished ||
      this.echoWait ||
      !this.queue.idle ||
      !this.connection.connected
    )
      return;
    if (!this.outbox.awaitingEchoes)
      return void this.finish(this.failures > 0 ? 1 : 0);
    const deadline = Date.now() + this.timings.echoGraceMs;
    this.echoWait = setInterval(() => {
      if (this.outbox.awaitingEchoes && Date.now() < deadline) return;
      void this.finish(this.failures > 0 ? 1 : 0);
    }, 20);
  }

  private async finish(code: number): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.echoWait);
    this.queue.clear();
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
