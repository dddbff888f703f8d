import {
  ChatCommand,
  ChatMessage,
  ClientEvent,
  ClientPayloads,
  CommandParser,
  commandPayload,
  CommandRequest,
  Cursors,
  describeNotice,
  describeRemoval,
  DM_STREAM,
  ErrorCode,
  HistoryPage,
  isNotice,
  Joined,
  LOBBY,
  messageStream,
  ModerationReply,
  Notice,
  Ref,
  Removed,
  RoomCount,
  ServerEvent,
  ServerFrame,
  Welcome,
} from '@app/protocol';

import * as auth from './auth-api';
import { ChatSocket, SocketState } from './chat-socket';
import { ChatView, Roles } from './chat-view';
import { PageOutbox, Post } from './page-outbox';
import { savedLogin } from './saved-login';

interface Outgoing {
  event: ClientEvent;
  data: Record<string, unknown>;
  /** Sent by the page itself (who, history, resume, rooms): its reply is not announced. */
  quiet?: boolean;
  post?: Post;
}

type ShownDm = Parameters<ChatView['dm']>[0] & { id: string };

/** Messages per `/history` page unless a count is given, as in chat-cli. */
const EARLIER_COUNT = 20;
/** How often the room list's user counts are refreshed while online. */
const ROOMS_REFRESH_MS = 20_000;

/** Refusals the user can act on (a ban, a mute, a missing invite or role): said as such, not as a failure. */
const REFUSALS = new Set<string>([
  ErrorCode.Banned,
  ErrorCode.Forbidden,
  ErrorCode.Muted,
  ErrorCode.NotInvited,
]);

/** What each moderation reply confirms (shown when the actor is not in the room, where the notice says it). */
const CONFIRMATIONS: Partial<
  Record<ServerEvent, (r: ModerationReply) => string>
> = {
  [ServerEvent.Banned]: (r) => `Banned ${r.user} from #${r.room}`,
  [ServerEvent.Deopped]: (r) =>
    `${r.user} is no longer an operator of #${r.room}`,
  [ServerEvent.Invited]: (r) => `Invited ${r.user} to #${r.room}`,
  [ServerEvent.Kicked]: (r) => `Kicked ${r.user} from #${r.room}`,
  [ServerEvent.Muted]: (r) => `Muted ${r.user} in #${r.room}`,
  [ServerEvent.Opped]: (r) => `${r.user} is now an operator of #${r.room}`,
  [ServerEvent.OwnerSet]: (r) => `${r.user} is now the owner of #${r.room}`,
  [ServerEvent.Unbanned]: (r) => `Unbanned ${r.user} in #${r.room}`,
  [ServerEvent.Unmuted]: (r) => `Unmuted ${r.user} in #${r.room}`,
};

/** When a ban ends: the time today, the date and time later. */
const until = (ms: number): string => {
  const date = new Date(ms);
  return date.toDateString() === new Date().toDateString()
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
};

const capitalized = (text: string): string =>
  text.charAt(0).toUpperCase() + text.slice(1);

/** Stream ids (`ms-seq`) in order; a plain string comparison would put 999-0 after 1000-0. */
const idBefore = (a: string, b: string): boolean => {
  const [ams, aseq] = a.split('-').map(Number);
  const [bms, bseq] = b.split('-').map(Number);
  return ams < bms || (ams === bms && aseq < bseq);
};

/** The chat page's flow: log in, connect, turn typed lines into frames and frames into what the view shows. */
export class ChatPage {
  private readonly parser = new CommandParser();
  private readonly pending = new Map<string, Outgoing>();
  private readonly members = new Set<string>();
  /** The roles in the current room (owner, operators), and its topic and privacy. */
  private roles: Roles = {};
  private topic = '';
  private isPrivate = false;
  private readonly shown = new Set<string>();
  /** The oldest message shown per thread (`#room`, `@user`): where `/history` pages back from. */
  private readonly oldest = new Map<string, string>();
  /** DM conversations and their unread counts, most recent first. */
  private readonly dms = new Map<string, number>();
  private readonly outbox = new PageOutbox();
  private rooms: RoomCount[] = [];
  private socket?: ChatSocket;
  private token = '';
  private username = '';
  private room = LOBBY;
  /** The newest message id seen of each stream (`room:<room>`, `dm`, `said:<user>`): where `resume` picks up after a reconnect. */
  private cursors: Cursors = {};
  private historySupported = true;
  private resumeSupported = true;
  private seq = 0;
  /** Welcomed on the current connection: frames may go. */
  private ready = false;
  private wasOnline = false;
  private welcomedBefore = false;
  private roomsTimer?: number;

  constructor(private readonly view: ChatView) {}

  start(): void {
    this.view.loginForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.logIn();
    });
    this.view.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.view.takeInput((line) => this.typed(line));
    });
    this.view.logoutButton.addEventListener('click', () => void this.logOut());
    this.view.onRoomChosen = (room) =>
      room !== this.room && this.typed(`/join ${room}`);
    this.view.onDmChosen = (user) => {
      this.send({
        event: ClientEvent.History,
        data: { with: user, limit: EARLIER_COUNT },
      });
      this.view.prefill(`/msg ${user} `);
    };
    const saved = savedLogin.load();
    if (saved) this.enter(saved.token, saved.username);
    else this.view.showLogin();
  }

  private async logIn(): Promise<void> {
    const { username, password } = this.view.credentials;
    try {
      const { token, username: registered } = await auth.login(
        username,
        password,
      );
      savedLogin.save({ token, username: registered });
      this.enter(token, registered);
    } catch (err) {
      this.view.showLogin((err as Error).message);
    }
  }

  private enter(token: string, username: string): void {
    this.token = token;
    this.username = username;
    this.room = LOBBY;
    this.cursors = {};
    this.welcomedBefore = false;
    this.shown.clear();
    this.oldest.clear();
    this.dms.clear();
    this.view.showChat(this.username);
    this.view.setRoom(this.room);
    this.socket = new ChatSocket(
      {
        state: (state, detail) => this.connection(state, detail),
        frame: (frame) => this.receive(frame),
        unauthorized: () => this.expired(),
        disabled: () => this.disabled(),
      },
      (base) => this.ticket(base),
    );
    this.socket.connect();
  }

  /** A ticket for the next connection; a token past half its life is refreshed first (never the password). */
  private async ticket(base: string): Promise<string> {
    if (this.halfSpent()) {
      const fresh = await auth.refresh(this.token).catch(() => undefined);
      if (fresh) {
        this.token = fresh;
        savedLogin.save({ token: fresh, username: this.username });
      }
    }
    return auth.ticket(base, this.token);
  }

  private halfSpent(): boolean {
    try {
      const { iat, exp } = JSON.parse(
        atob(this.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')),
      ) as { iat: number; exp: number };
      return Date.now() / 1000 > (iat + exp) / 2;
    } catch {
      return false;
    }
  }

  private expired(): void {
    savedLogin.clear();
    this.view.showLogin('Your login has expired: log in again');
  }

  /** Close 4403: the socket has stopped; the log stays readable, and a reload does not try again with the saved token. */
  private disabled(): void {
    window.clearInterval(this.roomsTimer);
    savedLogin.clear();
    this.view.notice(
      'Your account has been disabled by an administrator: you cannot chat or log in until they enable it again.',
      'problem',
    );
  }

  private async logOut(): Promise<void> {
    this.socket?.close();
    window.clearInterval(this.roomsTimer);
    savedLogin.clear();
    await auth.logout(this.token);
    this.token = '';
    this.view.showLogin();
  }

  private connection(state: SocketState, detail: string): void {
    this.view.setStatus(state, detail);
    if (state === 'online') return;
    this.ready = false;
    window.clearInterval(this.roomsTimer);
    if (state === 'reconnecting' && this.wasOnline)
      this.view.notice('Connection lost: reconnecting…', 'problem');
    if (state !== 'connecting') this.wasOnline = false;
  }

  /** True when the line should stay in the input (it could not be sent). */
  private typed(line: string): boolean {
    const command: ChatCommand = this.parser.parse(line);
    switch (command.kind) {
      case 'none':
        return false;
      case 'hint':
        this.view.notice(command.message, 'problem');
        return true;
      case 'help':
        this.view.block([
          'Commands:',
          ...this.parser
            .helpLines()
            .map((help) => help.replace('leave the chat', 'log out')),
        ]);
        return false;
      case 'quit':
        void this.logOut();
        return false;
      case 'request':
        return this.request(command);
    }
  }

  private request(command: CommandRequest): boolean {
    if (command.event === ClientEvent.Send || command.event === ClientEvent.Dm)
      return this.say(command);
    if (command.event === ClientEvent.History)
      return !this.send({
        event: command.event,
        data: this.historyQuery(command.data),
      });
    // A room command that named no room is for the room the page is in.
    return !this.send({
      event: command.event,
      data: commandPayload(command, this.room),
    });
  }

  /** A line to a room or a user: it goes now, or once the connection is back; it is never refused. */
  private say(
    command: Extract<
      CommandRequest,
      { event: ClientEvent.Send | ClientEvent.Dm }
    >,
  ): boolean {
    const post = this.outbox.add(command);
    if (this.ready) this.post(post);
    else
      this.view.notice(
        `Queued until the connection is back: ${command.line}`,
        'problem',
      );
    return false;
  }

  private post(post: Post): void {
    this.send({ event: post.event, data: post.data, quiet: true, post });
  }

  private historyQuery(
    data: ClientPayloads[ClientEvent.History],
  ): ClientPayloads[ClientEvent.History] {
    const thread = data.with ? `@${data.with}` : `#${this.room}`;
    const before = this.oldest.get(thread);
    return {
      ...(data.with ? { with: data.with } : { room: this.room }),
      ...(before && { before }),
      limit: data.limit ?? EARLIER_COUNT,
    };
  }

  private send(outgoing: CommandRequest | Outgoing): boolean {
    const ref = `w${++this.seq}`;
    if (
      !this.ready ||
      !this.socket?.send({
        event: outgoing.event,
        data: { ...outgoing.data, ref },
      })
    ) {
      if (!('quiet' in outgoing && outgoing.quiet))
        this.view.notice(
          'Not connected: wait for the connection to come back, then try again',
          'problem',
        );
      return false;
    }
    this.pending.set(ref, {
      event: outgoing.event,
      data: outgoing.data,
      quiet: 'quiet' in outgoing && outgoing.quiet,
      post: 'post' in outgoing ? outgoing.post : undefined,
    });
    return true;
  }

  private ask<E extends ClientEvent>(
    event: E,
    data: Omit<ClientPayloads[E], 'ref'>,
  ): void {
    this.send({ event, data, quiet: true });
  }

  private receive(frame: ServerFrame): void {
    const ref = (frame.data as { ref?: Ref }).ref;
    const asked = ref === undefined ? undefined : this.pending.get(String(ref));
    if (ref !== undefined) this.pending.delete(String(ref));
    switch (frame.event) {
      case ServerEvent.Welcome:
        return this.welcomed(frame.data);
      case ServerEvent.Message:
        return this.showMessage(frame.data);
      case ServerEvent.Dm:
        return this.showDm(frame.data);
      case ServerEvent.Presence:
        return this.presence(
          frame.data.room,
          frame.data.user,
          frame.data.action,
        );
      case ServerEvent.Joined:
        this.advance(`room:${frame.data.room}`, frame.data.cursor);
        return this.joined(frame.data);
      case ServerEvent.Notice:
        return this.showNotice(frame.data);
      case ServerEvent.Removed:
        return this.removed(frame.data);
      case ServerEvent.Banned:
      case ServerEvent.Deopped:
      case ServerEvent.Invited:
      case ServerEvent.Kicked:
      case ServerEvent.Muted:
      case ServerEvent.Opped:
      case ServerEvent.OwnerSet:
      case ServerEvent.Unbanned:
      case ServerEvent.Unmuted:
        if (frame.data.room !== this.room)
          this.view.notice(CONFIRMATIONS[frame.event]?.(frame.data) ?? '');
        return;
      case ServerEvent.Topic:
        if (frame.data.room !== this.room)
          this.view.notice(
            frame.data.text
              ? `Topic of #${frame.data.room} set: ${frame.data.text}`
              : `Topic of #${frame.data.room} cleared`,
          );
        return;
      case ServerEvent.Private:
        if (frame.data.room !== this.room)
          this.view.notice(
            `#${frame.data.room} is now ${frame.data.on ? 'private' : 'public'}`,
          );
        return;
      case ServerEvent.Who:
        if (frame.data.room === this.room)
          this.setMembers(frame.data.users, frame.data.roles);
        if (!asked?.quiet)
          this.view.notice(
            `In #${frame.data.room}: ${frame.data.users.join(', ') || 'nobody'}`,
          );
        return;
      case ServerEvent.Rooms:
        this.rooms = frame.data.rooms;
        this.view.setRooms(this.rooms, this.room);
        if (!asked?.quiet)
          this.view.block([
            'Rooms (users):',
            ...frame.data.rooms.map((r) => `  #${r.name}  ${r.users}`),
          ]);
        return;
      case ServerEvent.History:
        return asked?.quiet
          ? this.showLatest(frame.data)
          : this.showPage(frame.data, asked?.data.before !== undefined);
      case ServerEvent.Resumed:
        if (frame.data.complete)
          this.view.notice(
            `Back online: ${frame.data.count} missed ${frame.data.count === 1 ? 'message' : 'messages'} caught up`,
          );
        else
          this.view.notice(
            `Back online, but some messages could not be recovered (${frame.data.missing.join(', ')})`,
            'problem',
          );
        return this.ask(ClientEvent.Who, {});
      case ServerEvent.Sent:
        return this.sent(frame.data.id, asked);
      case ServerEvent.Subscribed:
        this.advance(`said:${frame.data.user}`, frame.data.cursor);
        return this.view.notice(
          `Subscribed to ${frame.data.user}: their messages from every room show here`,
        );
      case ServerEvent.Unsubscribed:
        return this.view.notice(`Unsubscribed from ${frame.data.user}`);
      case ServerEvent.Reconnect:
        return this.view.notice(
          'The server is restarting: reconnecting in a moment…',
        );
      case ServerEvent.Error:
        return this.failed(frame.data.code, frame.data.message, asked);
    }
  }

  private welcomed(welcome: Welcome): void {
    this.ready = true;
    this.wasOnline = true;
    this.socket?.setInstances(welcome.instances);
    this.view.setStatus('online', 'connected');
    if (this.welcomedBefore) this.view.notice('Reconnected');
    else
      this.view.notice(
        `Welcome, ${welcome.username}: type a message, or /help for the commands`,
      );
    this.welcomedBefore = true;
    if (welcome.unreadDms > 0)
      this.view.notice(
        `${welcome.unreadDms} direct ${welcome.unreadDms === 1 ? 'message' : 'messages'} arrived while you were away`,
      );
    const resuming = Object.keys(this.cursors).length > 0;
    // A stream this page already reads keeps its cursor: the welcome's would skip what came while away.
    for (const [stream, id] of Object.entries(welcome.cursors ?? {}))
      this.cursors[stream] ??= id;
    this.catchUp(welcome.room, resuming);
    // Frames are handled in order, so these go to the room the catch-up above returns to.
    this.outbox.unanswered.forEach((post) => this.post(post));
    this.ask(ClientEvent.Rooms, {});
    this.roomsTimer = window.setInterval(
      () => this.ask(ClientEvent.Rooms, {}),
      ROOMS_REFRESH_MS,
    );
  }

  /** After a reconnect, `resume` where the server has it, else re-join the room; on first connect, load the room. */
  private catchUp(welcomeRoom: string, resuming = false): void {
    if (resuming && this.resumeSupported) {
      return this.ask(ClientEvent.Resume, {
        cursors: { ...this.cursors },
        ...(this.room !== LOBBY && { room: this.room }),
      });
    }
    if (this.room !== LOBBY)
      return this.ask(ClientEvent.Join, { room: this.room });
    this.room = welcomeRoom;
    this.view.setRoom(welcomeRoom);
    this.ask(ClientEvent.Who, {});
    this.loadHistory();
  }

  private joined(joined: Joined): void {
    const { room, users, members } = joined;
    this.moveTo(room);
    this.setTopic(joined.topic ?? '', joined.private === true);
    const details = `${users} ${users === 1 ? 'user' : 'users'}${joined.private ? ', private' : ''}`;
    const topic = joined.topic ? `. Topic: ${joined.topic}` : '';
    this.view.notice(`Joined #${room} (${details})${topic}`);
    if (members) this.setMembers(members, joined.roles);
    else this.ask(ClientEvent.Who, {});
    this.loadHistory();
    this.ask(ClientEvent.Rooms, {});
  }

  /** Into `room`: a new room starts on a clean log. */
  private moveTo(room: string): void {
    if (room !== this.room) {
      this.view.clearLog();
      this.shown.clear();
      this.oldest.delete(`#${room}`);
    }
    this.room = room;
    this.view.setRoom(room);
  }

  private setTopic(topic: string, isPrivate: boolean): void {
    this.topic = topic;
    this.isPrivate = isPrivate;
    this.view.setTopic(topic, isPrivate);
  }

  /** Kicked or banned: the server has put this session back in the lobby; the page says who did it and why. */
  private removed(r: Removed): void {
    const why = capitalized(describeRemoval(r, until));
    if (r.room !== this.room) return this.view.notice(why, 'problem');
    this.moveTo(LOBBY);
    this.view.notice(why, 'problem');
    this.view.notice(`You are in #${LOBBY}`);
    this.ask(ClientEvent.Who, {});
    this.loadHistory();
    this.ask(ClientEvent.Rooms, {});
  }

  /** A moderation action or setting change: it moves the room's cursor like a message, and may change the header or roles. */
  private showNotice(n: Notice, placement: 'by-id' | 'append' = 'by-id'): void {
    if (placement === 'by-id' && !this.firstSight(`room:${n.room}`, n.id))
      return;
    this.view.roomNotice(n, describeNotice(n), placement);
    if (placement === 'append' || n.room !== this.room) return;
    this.noteOldest(`#${n.room}`, n.id);
    if (n.action === 'topic') this.setTopic(n.text ?? '', this.isPrivate);
    if (n.action === 'private') this.setTopic(this.topic, n.on === true);
    if (n.action === 'op' || n.action === 'deop' || n.action === 'owner')
      this.ask(ClientEvent.Who, {});
  }

  private loadHistory(): void {
    if (this.historySupported)
      this.ask(ClientEvent.History, { room: this.room, limit: EARLIER_COUNT });
  }

  /** The latest messages of the room, loaded on entering it, among the live ones. */
  private showLatest(page: HistoryPage): void {
    if (page.room !== this.room) return;
    page.messages.forEach((m) => {
      if (isNotice(m)) this.showNotice(m);
      else if ('room' in m) this.showMessage(m);
      else this.showDm(m);
    });
    this.noteOldest(`#${page.room}`, page.messages[0]?.id);
  }

  /** A `/history` page (or a conversation opened from the DM list): appended under its own heading. */
  private showPage(page: HistoryPage, earlier: boolean): void {
    const thread = page.with ? `@${page.with}` : `#${page.room ?? this.room}`;
    const what = page.with
      ? `direct messages with ${page.with}`
      : `messages in #${page.room ?? this.room}`;
    if (page.with) this.noteDm(page.with, 0);
    if (page.messages.length === 0)
      return this.view.notice(`No ${earlier ? 'earlier ' : ''}${what}`);
    this.view.notice(`${earlier ? 'Earlier' : 'Latest'} ${what}:`);
    for (const m of page.messages) {
      if (isNotice(m)) this.showNotice(m, 'append');
      else if ('room' in m) this.view.message(m, this.username, 'append');
      else this.view.dm(m, 'append');
    }
    this.noteOldest(thread, page.messages[0].id);
    if (!page.more) this.view.notice(`No earlier ${what}`);
  }

  private noteOldest(thread: string, id: string | undefined): void {
    const oldest = this.oldest.get(thread);
    if (id && (!oldest || idBefore(id, oldest))) this.oldest.set(thread, id);
  }

  private presence(room: string, user: string, action: 'join' | 'leave'): void {
    if (room !== this.room) return;
    if (action === 'join') this.members.add(user);
    else this.members.delete(user);
    this.view.setMembers(this.members, this.username, this.roles);
    this.countMembers();
    this.view.notice(
      `${user} ${action === 'join' ? 'joined' : 'left'} #${room}`,
      'presence',
    );
  }

  private setMembers(users: string[], roles: Roles = {}): void {
    this.members.clear();
    users.forEach((user) => this.members.add(user));
    this.roles = roles;
    this.view.setMembers(this.members, this.username, this.roles);
    this.countMembers();
  }

  /** The room list's count of the current room follows its presence, between refreshes. */
  private countMembers(): void {
    const users = this.members.size;
    this.rooms = [
      ...this.rooms.filter((room) => room.name !== this.room),
      ...(users > 0 ? [{ name: this.room, users }] : []),
    ];
    this.view.setRooms(this.rooms, this.room);
  }

  private showMessage(m: ChatMessage): void {
    if (!this.firstSight(messageStream(m), m.id)) return;
    this.view.message(m, this.username);
    if (!m.via) this.noteOldest(`#${m.room}`, m.id);
  }

  private showDm(d: ShownDm): void {
    if (!this.firstSight(DM_STREAM, d.id)) return;
    this.view.dm(d);
    const mine = d.from === this.username;
    const peer = mine ? d.to : d.from;
    this.noteDm(peer, mine ? 0 : (this.dms.get(peer) ?? 0) + 1);
    this.noteOldest(`@${peer}`, d.id);
  }

  /** Puts the conversation first in the DM list, with this many unread. */
  private noteDm(user: string, unread: number): void {
    this.dms.delete(user);
    const list = [[user, unread] as const, ...this.dms];
    this.dms.clear();
    list.forEach(([name, count]) => this.dms.set(name, count));
    this.view.setDms(
      [...this.dms].map(([name, count]) => ({ user: name, unread: count })),
    );
  }

  /** A DM is not echoed to the session that sent it, so its `sent` shows it; a room line shows when it comes back. */
  private sent(id: string, asked: Outgoing | undefined): void {
    const post = asked?.post;
    if (!post) return;
    this.outbox.settle(post.data.cid);
    if (post.event === ClientEvent.Dm)
      this.showDm({
        id,
        from: this.username,
        to: post.data.to,
        text: post.data.text,
        ts: Date.now(),
      });
  }

  /** Replays (history, resume) can repeat what is already on screen; ids of different streams are never compared. */
  private firstSight(stream: string, id: string): boolean {
    const key = `${stream} ${id}`;
    if (this.shown.has(key)) return false;
    this.shown.add(key);
    this.advance(stream, id);
    return true;
  }

  private advance(stream: string, id: string | undefined): void {
    const last = this.cursors[stream];
    if (id && (!last || idBefore(last, id))) this.cursors[stream] = id;
  }

  /** A server without `history` or `resume` answers UNKNOWN_EVENT: the page does without them. */
  private failed(
    code: ErrorCode,
    message: string,
    asked: Outgoing | undefined,
  ): void {
    const unknown = code === ErrorCode.UnknownEvent;
    if (unknown && asked?.event === ClientEvent.History && asked.quiet)
      return void (this.historySupported = false);
    if (unknown && asked?.event === ClientEvent.Resume) {
      this.resumeSupported = false;
      return this.catchUp(LOBBY);
    }
    const post = asked?.post;
    if (
      post &&
      code === ErrorCode.Timeout &&
      this.outbox.timedOut(post.data.cid)
    )
      return this.post(post);
    if (post) this.outbox.settle(post.data.cid);
    this.view.notice(
      REFUSALS.has(code) ? `Refused: ${message}` : `${code}: ${message}`,
      'problem',
    );
    if (post) this.view.notice(`Not sent: ${post.line}`, 'problem');
  }
}
