import {
  ChatCommand,
  ClientEvent,
  ClientPayloads,
  CommandParser,
  CommandRequest,
  ErrorCode,
  LOBBY,
  Ref,
  ServerEvent,
  ServerFrame,
  Welcome,
} from '@app/protocol';

import * as auth from './auth-api';
import { ChatSocket, SocketState } from './chat-socket';
import { ChatView } from './chat-view';

interface Outgoing {
  event: ClientEvent;
  data: Record<string, unknown>;
  /** Sent by the page itself (who, history, resume): its reply is not announced. */
  quiet?: boolean;
}

type ShownMessage = Parameters<ChatView['message']>[0];
type ShownDm = Parameters<ChatView['dm']>[0] & { id: string };

/** The chat page's flow: log in, connect, turn typed lines into frames and frames into what the view shows. */
export class ChatPage {
  private readonly parser = new CommandParser();
  private readonly pending = new Map<string, Outgoing>();
  private readonly members = new Set<string>();
  private readonly shown = new Set<string>();
  private socket?: ChatSocket;
  private token = '';
  private username = '';
  private room = LOBBY;
  /** The newest message id seen: where `resume` picks up after a reconnect. */
  private lastId = '';
  private historySupported = true;
  private resumeSupported = true;
  private seq = 0;
  private online = false;
  private welcomedBefore = false;

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
    this.view.showLogin();
  }

  private async logIn(): Promise<void> {
    const { username, password } = this.view.credentials;
    try {
      ({ token: this.token, username: this.username } = await auth.login(
        username,
        password,
      ));
    } catch (err) {
      return this.view.showLogin((err as Error).message);
    }
    this.room = LOBBY;
    this.lastId = '';
    this.welcomedBefore = false;
    this.shown.clear();
    this.view.showChat(this.username);
    this.view.setRoom(this.room);
    this.socket = new ChatSocket(
      this.token,
      {
        state: (state, detail) => this.connection(state, detail),
        frame: (frame) => this.receive(frame),
        unauthorized: () =>
          this.view.showLogin('Your login has expired: log in again'),
      },
      () => auth.tokenValid(this.token),
    );
    this.socket.connect();
  }

  private async logOut(): Promise<void> {
    this.socket?.close();
    await auth.logout(this.token);
    this.token = '';
    this.view.showLogin();
  }

  private connection(state: SocketState, detail: string): void {
    this.view.setStatus(state, detail);
    if (state === 'reconnecting' && this.online)
      this.view.notice('Connection lost: reconnecting…', 'problem');
    if (state !== 'connecting') this.online = state === 'online';
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
        return !this.send(command);
    }
  }

  private send(outgoing: CommandRequest | Outgoing): boolean {
    const ref = `w${++this.seq}`;
    if (
      !this.socket?.send({
        event: outgoing.event,
        data: { ...outgoing.data, ref },
      })
    ) {
      this.view.notice(
        'Not connected: wait for the connection to come back, then send again',
        'problem',
      );
      return false;
    }
    this.pending.set(ref, {
      event: outgoing.event,
      data: outgoing.data,
      quiet: 'quiet' in outgoing && outgoing.quiet,
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
        return this.joined(
          frame.data.room,
          frame.data.users,
          frame.data.members,
        );
      case ServerEvent.Who:
        if (frame.data.room === this.room) this.setMembers(frame.data.users);
        if (!asked?.quiet)
          this.view.notice(
            `In #${frame.data.room}: ${frame.data.users.join(', ') || 'nobody'}`,
          );
        return;
      case ServerEvent.Rooms:
        return this.view.block([
          'Rooms (users):',
          ...frame.data.rooms.map((r) => `  #${r.name}  ${r.users}`),
        ]);
      case ServerEvent.History:
        if (frame.data.room === this.room)
          frame.data.messages.forEach((m) =>
            'room' in m ? this.showMessage(m) : this.showDm(m),
          );
        return;
      case ServerEvent.Resumed:
        if (frame.data.complete)
          this.view.notice(
            `Back online: ${frame.data.count} missed messages caught up`,
          );
        else
          this.view.notice(
            'Back online, but some messages could not be recovered',
            'problem',
          );
        return this.ask(ClientEvent.Who, {});
      case ServerEvent.Sent:
        // A DM is not echoed to the session that sent it.
        if (asked?.event === ClientEvent.Dm)
          this.showDm({
            id: frame.data.id,
            from: this.username,
            to: String(asked.data.to),
            text: String(asked.data.text),
            ts: Date.now(),
          });
        return;
      case ServerEvent.Subscribed:
        return this.view.notice(
          `Subscribed to ${frame.data.user}: their messages from every room show here`,
        );
      case ServerEvent.Unsubscribed:
        return this.view.notice(`Unsubscribed from ${frame.data.user}`);
      case ServerEvent.Error:
        return this.failed(frame.data.code, frame.data.message, asked);
    }
  }

  private welcomed(welcome: Welcome): void {
    this.view.setStatus('online', `connected to ${welcome.instance}`);
    if (this.welcomedBefore)
      this.view.notice(`Reconnected to ${welcome.instance}`);
    else
      this.view.notice(
        `Welcome, ${welcome.username}: type a message, or /help for the commands`,
      );
    this.welcomedBefore = true;
    if (welcome.unreadDms > 0)
      this.view.notice(
        `${welcome.unreadDms} direct message(s) arrived while you were away`,
      );
    this.catchUp(welcome.room);
  }

  /** After a reconnect, `resume` where the server has it, else re-join the room; on first connect, load the room. */
  private catchUp(welcomeRoom: string): void {
    if (this.lastId && this.resumeSupported) {
      return this.ask(ClientEvent.Resume, {
        since: this.lastId,
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

  private joined(room: string, users: number, members?: string[]): void {
    if (room !== this.room) {
      this.view.clearLog();
      this.shown.clear();
    }
    this.room = room;
    this.view.setRoom(room);
    this.view.notice(
      `Joined #${room} (${users} ${users === 1 ? 'user' : 'users'})`,
    );
    if (members) this.setMembers(members);
    else this.ask(ClientEvent.Who, {});
    this.loadHistory();
  }

  private loadHistory(): void {
    if (this.historySupported)
      this.ask(ClientEvent.History, { room: this.room });
  }

  private presence(room: string, user: string, action: 'join' | 'leave'): void {
    if (room !== this.room) return;
    if (action === 'join') this.members.add(user);
    else this.members.delete(user);
    this.view.setMembers(this.members, this.username);
    this.view.notice(
      `${user} ${action === 'join' ? 'joined' : 'left'} #${room}`,
      'presence',
    );
  }

  private setMembers(users: string[]): void {
    this.members.clear();
    users.forEach((user) => this.members.add(user));
    this.view.setMembers(this.members, this.username);
  }

  private showMessage(m: ShownMessage): void {
    if (this.firstSight(m.via ? 'via' : 'message', m.id))
      this.view.message(m, this.username);
  }

  private showDm(d: ShownDm): void {
    if (this.firstSight('dm', d.id)) this.view.dm(d);
  }

  /** Replays (history, resume) can repeat what is already on screen. */
  private firstSight(kind: string, id: string): boolean {
    const key = `${kind}:${id}`;
    if (this.shown.has(key)) return false;
    this.shown.add(key);
    if (id > this.lastId) this.lastId = id;
    return true;
  }

  /** A server without `history` or `resume` answers UNKNOWN_EVENT: the page does without them. */
  private failed(
    code: ErrorCode,
    message: string,
    asked: Outgoing | undefined,
  ): void {
    const unknown = code === ErrorCode.UnknownEvent;
    if (unknown && asked?.event === ClientEvent.History)
      return void (this.historySupported = false);
    if (unknown && asked?.event === ClientEvent.Resume) {
      this.resumeSupported = false;
      return this.catchUp(LOBBY);
    }
    this.view.notice(`${code}: ${message}`, 'problem');
  }
}
