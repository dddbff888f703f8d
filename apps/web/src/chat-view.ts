import {
  byRole,
  ChatMessage,
  DirectMessage,
  RoomCount,
  RoomRole,
} from '@app/protocol';

import { SocketState } from './chat-socket';

export type NoticeKind = 'notice' | 'presence' | 'problem';

export type Roles = Partial<Record<string, RoomRole>>;

export interface DmConversation {
  user: string;
  unread: number;
}

/** How a row joins the log: in id order among live messages, or at the end (a `/history` page). */
type Placement = 'by-id' | 'append';

const NICK_COLOURS = 8;

/** `<tag class>text</tag>`: text is only ever set through textContent, so nothing a user sends is parsed as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page has no #${id}`);
  return node as T;
}

const clock = (ts: number): string =>
  new Date(Number.isFinite(ts) ? ts : Date.now()).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
  });

function nickClass(name: string): string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  return `nick-${Math.abs(hash) % NICK_COLOURS}`;
}

/** Everything the page shows. Knows the DOM, not the protocol's flow. */
export class ChatView {
  readonly loginForm = byId<HTMLFormElement>('login-form');
  readonly composer = byId<HTMLFormElement>('composer');
  readonly logoutButton = byId<HTMLButtonElement>('logout');
  private readonly loginSection = byId('login');
  private readonly chatSection = byId('chat');
  private readonly loginError = byId('login-error');
  private readonly status = byId('status');
  private readonly whoami = byId('whoami');
  private readonly roomName = byId('room-name');
  private readonly roomTopic = byId('room-topic');
  private readonly memberCount = byId('member-count');
  private readonly members = byId<HTMLUListElement>('members');
  private readonly log = byId<HTMLOListElement>('log');
  private readonly input = byId<HTMLInputElement>('input');
  private readonly rooms = byId<HTMLUListElement>('rooms');
  private readonly dms = byId<HTMLUListElement>('dms');
  /** Called when a room of the room list is clicked. */
  onRoomChosen: (room: string) => void = () => undefined;
  /** Called when a conversation of the DM list is clicked. */
  onDmChosen: (user: string) => void = () => undefined;

  get credentials(): { username: string; password: string } {
    const field = (name: string): string =>
      (this.loginForm.elements.namedItem(name) as HTMLInputElement).value;
    return { username: field('username').trim(), password: field('password') };
  }

  showLogin(problem = ''): void {
    this.chatSection.hidden = true;
    this.logoutButton.hidden = true;
    this.loginSection.hidden = false;
    this.whoami.textContent = '';
    this.loginError.textContent = problem;
    (this.loginForm.elements.namedItem('password') as HTMLInputElement).value =
      '';
  }

  showChat(username: string): void {
    this.loginSection.hidden = true;
    this.chatSection.hidden = false;
    this.logoutButton.hidden = false;
    this.whoami.textContent = `signed in as ${username}`;
    this.log.replaceChildren();
    this.rooms.replaceChildren();
    this.dms.replaceChildren();
    this.input.focus();
  }

  setStatus(state: SocketState, text: string): void {
    this.status.className = `status ${state}`;
    this.status.textContent = text;
  }

  setRoom(room: string): void {
    this.roomName.textContent = `#${room}`;
    this.input.placeholder = `Message #${room} (/help for commands)`;
    this.setTopic('', false);
  }

  /** The room's topic under its name, and a lock mark when it is private. */
  setTopic(topic: string, isPrivate: boolean): void {
    this.roomTopic.textContent = topic;
    this.roomTopic.hidden = topic === '';
    this.roomName.classList.toggle('private', isPrivate);
    this.roomName.title = isPrivate ? 'private: invited users only' : '';
  }

  /** The people here, the owner first, then the operators, each role written after the name. */
  setMembers(names: Iterable<string>, self: string, roles: Roles = {}): void {
    const sorted = byRole([...names].sort(), roles);
    this.memberCount.textContent = `${sorted.length} ${sorted.length === 1 ? 'person' : 'people'} here`;
    this.members.replaceChildren(
      ...sorted.map((name) => {
        const item = el('li', name === self ? 'self' : '', name);
        const role = roles[name];
        if (role) item.append(el('span', `role ${role}`, role));
        return item;
      }),
    );
  }

  /** The room list, the current room marked; a click joins. */
  setRooms(rooms: RoomCount[], current: string): void {
    this.rooms.replaceChildren(
      ...[...rooms]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((room) =>
          this.choice(
            `#${room.name}`,
            String(room.users),
            room.name === current,
            () => this.onRoomChosen(room.name),
          ),
        ),
    );
  }

  /** The DM conversations with their unread counts; a click shows the conversation. */
  setDms(conversations: DmConversation[]): void {
    this.dms.replaceChildren(
      ...conversations.map(({ user, unread }) =>
        this.choice(user, unread > 0 ? String(unread) : '', unread > 0, () =>
          this.onDmChosen(user),
        ),
      ),
    );
  }

  /** Puts text in the input, for the user to finish (`/msg USER `). */
  prefill(text: string): void {
    this.input.value = text;
    this.input.focus();
  }

  clearLog(): void {
    this.log.replaceChildren();
  }

  /** Takes the typed line; the input keeps it when `keep` says so (it could not be sent). */
  takeInput(keep: (line: string) => boolean): void {
    const line = this.input.value;
    if (!keep(line)) this.input.value = '';
  }

  message(m: ChatMessage, self: string, placement: Placement = 'by-id'): void {
    const row = el('li', 'message');
    row.append(
      el('span', 'time', clock(m.ts)),
      el(
        'span',
        `from ${m.from === self ? 'self' : nickClass(m.from)}`,
        m.from,
      ),
      el('span', 'text', m.text),
    );
    if (m.via === 'subscription')
      row.append(el('span', 'tag', `via subscription, #${m.room}`));
    this.place(row, placement === 'by-id' ? m.id : undefined);
  }

  dm(
    d: Pick<DirectMessage, 'from' | 'to' | 'text' | 'ts'> & { id?: string },
    placement: Placement = 'by-id',
  ): void {
    const row = el('li', 'dm');
    row.append(
      el('span', 'time', clock(d.ts)),
      el('span', 'label', `DM ${d.from} → ${d.to}`),
      el('span', 'text', d.text),
    );
    this.place(row, placement === 'by-id' ? d.id : undefined);
  }

  /** A moderation action or setting change of the room: stored like a message, so placed by id. */
  roomNotice(
    n: { id: string; ts: number },
    text: string,
    placement: Placement = 'by-id',
  ): void {
    const row = el('li', 'action');
    row.append(
      el('span', 'time', clock(n.ts)),
      el('span', 'text', `* ${text}`),
    );
    this.place(row, placement === 'by-id' ? n.id : undefined);
  }

  notice(text: string, kind: NoticeKind = 'notice'): void {
    this.place(el('li', kind, text));
  }

  /** Several aligned lines (help, room list) as one block. */
  block(lines: string[]): void {
    this.place(el('li', 'block', lines.join('\n')));
  }

  private choice(
    label: string,
    count: string,
    marked: boolean,
    chosen: () => void,
  ): HTMLLIElement {
    const button = el('button', `choice${marked ? ' marked' : ''}`);
    button.type = 'button';
    button.append(el('span', 'label', label), el('span', 'count', count));
    button.addEventListener('click', chosen);
    const item = el('li');
    item.append(button);
    return item;
  }

  /** Messages go in id order (history may arrive after newer live messages); everything else at the end. */
  private place(row: HTMLLIElement, id?: string): void {
    const atBottom =
      this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    const later =
      id === undefined
        ? undefined
        : [...this.log.children].find(
            (node) => ((node as HTMLElement).dataset.id ?? '') > id,
          );
    if (id !== undefined) row.dataset.id = id;
    this.log.insertBefore(row, later ?? null);
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }
}
