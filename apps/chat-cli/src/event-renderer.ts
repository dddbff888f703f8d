import {
  byRole,
  ChatMessage,
  describeNotice,
  describeRemoval,
  DirectMessage,
  ErrorCode,
  ErrorPayload,
  Joined,
  ModerationReply,
  Notice,
  Presence,
  PrivateReply,
  Removed,
  RoomCount,
  ServerEvent,
  TopicReply,
  WhoList,
  withRole,
} from '@app/protocol';

import { TextSanitizer } from './text-sanitizer';

type Paint = (text: string) => string;

const SGR =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const PLAIN: Paint = (text) => text;
const NICK_COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96].map(
  (code) => SGR(code, 39),
);
/** Refusals a user can act on: shown as `refused: <the server's reason> (CODE)` rather than as a failure. */
const REFUSALS = new Set<string>([
  ErrorCode.Banned,
  ErrorCode.Forbidden,
  ErrorCode.Muted,
  ErrorCode.NotInvited,
]);

/** The replies to moderation commands, and what they confirm. */
type ModerationEvent =
  | ServerEvent.Banned
  | ServerEvent.Deopped
  | ServerEvent.Invited
  | ServerEvent.Kicked
  | ServerEvent.Muted
  | ServerEvent.Opped
  | ServerEvent.OwnerSet
  | ServerEvent.Unbanned
  | ServerEvent.Unmuted;

/** Our own colour codes; text from the network never contains escapes (the sanitizer removed them). */
const OWN_SGR = /\x1b\[[0-9;]*m/g;

/**
 * Formats server events and local notices as terminal lines. Every value that came from the network
 * goes through the sanitizer; colours are added only when `colour` is on (stdout is a TTY).
 */
export class EventRenderer {
  private readonly bold: Paint;
  private readonly dim: Paint;
  private readonly red: Paint;
  private readonly yellow: Paint;
  private readonly magenta: Paint;
  private readonly cyan: Paint;
  private readonly green: Paint;

  constructor(
    private readonly colour: boolean,
    private readonly sanitizer = new TextSanitizer(),
  ) {
    this.bold = colour ? SGR(1, 22) : PLAIN;
    this.dim = colour ? SGR(2, 22) : PLAIN;
    this.red = colour ? SGR(31, 39) : PLAIN;
    this.yellow = colour ? SGR(33, 39) : PLAIN;
    this.magenta = colour ? SGR(35, 39) : PLAIN;
    this.cyan = colour ? SGR(36, 39) : PLAIN;
    this.green = colour ? SGR(32, 39) : PLAIN;
  }

  /** `[12:00:01] #global <a> hello`, or `[12:00:01] #room1 <b> hi (via subscription)`. */
  message(m: ChatMessage, self: string): string {
    const from = this.clean(m.from);
    const sender =
      from === self ? this.bold(`<${from}>`) : this.nick(from, `<${from}>`);
    const line = `${this.time(m.ts)} ${this.room(m.room)} ${sender} ${this.clean(m.text)}`;
    return m.via === 'subscription'
      ? `${line} ${this.dim(`(via subscription)`)}`
      : line;
  }

  /** `[12:00:01] DM <a -> b> text`, the same shape in both directions. */
  dm(d: Pick<DirectMessage, 'from' | 'to' | 'text' | 'ts'>): string {
    const pair = `<${this.clean(d.from)} -> ${this.clean(d.to)}>`;
    return `${this.time(d.ts)} ${this.magenta(`DM ${pair}`)} ${this.clean(d.text)}`;
  }

  /** `[12:00:01] * b joined #room1` or `[12:00:01] * b left #room1`. */
  presence(p: Presence, ts = Date.now()): string {
    const verb = p.action === 'join' ? 'joined' : 'left';
    return `${this.time(ts)} ${this.yellow(`* ${this.clean(p.user)} ${verb} ${this.roomName(p.room)}`)}`;
  }

  /** `error: OFFLINE: user "x" is not online`; a ban, mute, missing invite or role: `refused: <why> (BANNED)`. */
  error(e: Pick<ErrorPayload, 'code' | 'message'>): string {
    if (REFUSALS.has(e.code))
      return this.red(
        `refused: ${this.clean(e.message)} (${this.clean(e.code)})`,
      );
    return this.red(`error: ${this.clean(e.code)}: ${this.clean(e.message)}`);
  }

  /** `[12:00:01] #dev * alice banned bob for 10m: spam`: a moderation action or setting change. */
  notice(n: Notice): string {
    return `${this.time(n.ts)} ${this.room(n.room)} ${this.yellow(`* ${this.clean(describeNotice(n))}`)}`;
  }

  /** `you were kicked from #dev by alice: spamming`, said to the user put out of the room. */
  removed(r: Removed): string {
    return this.red(this.clean(describeRemoval(r, (ms) => this.clock(ms))));
  }

  /** What a moderation command did, when its notice is not shown here (the actor is not in the room). */
  moderated(event: ModerationEvent, r: ModerationReply): string {
    const user = this.clean(r.user);
    const room = this.roomName(r.room);
    const until = r.until ? ` until ${this.clock(r.until)}` : '';
    const lines: Record<ModerationEvent, string> = {
      [ServerEvent.Banned]: `banned ${user} from ${room}${until}`,
      [ServerEvent.Deopped]: `${user} is no longer an operator of ${room}`,
      [ServerEvent.Invited]: `invited ${user} to ${room}`,
      [ServerEvent.Kicked]: `kicked ${user} from ${room}`,
      [ServerEvent.Muted]: `muted ${user} in ${room}${until}`,
      [ServerEvent.Opped]: `${user} is now an operator of ${room}`,
      [ServerEvent.OwnerSet]: `${user} is now the owner of ${room}`,
      [ServerEvent.Unbanned]: `unbanned ${user} in ${room}`,
      [ServerEvent.Unmuted]: `unmuted ${user} in ${room}`,
    };
    return this.green(lines[event]);
  }

  /** `topic of #dev set: ...` / `topic of #dev cleared`. */
  topicSet(r: TopicReply): string {
    const room = this.roomName(r.room);
    return this.green(
      r.text
        ? `topic of ${room} set: ${this.clean(r.text)}`
        : `topic of ${room} cleared`,
    );
  }

  /** `#dev is now private` / `#dev is now public`. */
  privacySet(r: PrivateReply): string {
    return this.green(
      `${this.roomName(r.room)} is now ${r.on ? 'private' : 'public'}`,
    );
  }

  /** A message or DM from history: the same line, dimmed as a whole. */
  earlier(line: string): string {
    return this.colour ? this.dim(line.replace(OWN_SGR, '')) : line;
  }

  /** `-- earlier messages --` above the history of a room, `-- earlier messages with b --` above a DM conversation. */
  earlierHeader(withUser?: string): string {
    return this.dim(
      withUser === undefined
        ? '-- earlier messages --'
        : `-- earlier messages with ${this.clean(withUser)} --`,
    );
  }

  /** `no earlier messages in #room1` / `no earlier messages with b`. */
  noEarlier(room: string | undefined, withUser?: string): string {
    return withUser === undefined
      ? `no earlier messages in ${this.roomName(room ?? '')}`
      : `no earlier messages with ${this.clean(withUser)}`;
  }

  /** `(caught up: 3 messages while you were away)`. */
  caughtUp(count: number): string {
    return this.cyan(
      `(caught up: ${this.count(count, 'message')} while you were away)`,
    );
  }

  /** `2 direct messages while you were away`. */
  unreadDms(count: number): string {
    return this.magenta(
      `${this.count(count, 'direct message')} while you were away`,
    );
  }

  /** `b is offline: they will see it when they log in`. */
  offline(user: string): string {
    return this.dim(
      `${this.clean(user)} is offline: they will see it when they log in`,
    );
  }

  /** `joined #room1 (2 users)`; `joined #dev (2 users, private), topic: Deploys only`. */
  joined(j: Joined): string {
    const details = [this.users(j.users), ...(j.private ? ['private'] : [])];
    const topic = j.topic ? `, topic: ${this.clean(j.topic)}` : '';
    return this.green(
      `joined ${this.roomName(j.room)} (${details.join(', ')})${topic}`,
    );
  }

  /** A small aligned table: a `ROOM  USERS` header, then one row per room. */
  rooms(rooms: RoomCount[]): string[] {
    const rows = rooms.map((r) => [this.clean(r.name), String(r.users)]);
    const nameWidth = Math.max(4, ...rows.map(([name]) => name.length));
    const countWidth = Math.max(5, ...rows.map(([, users]) => users.length));
    const header = this.bold(
      `${'ROOM'.padEnd(nameWidth)}  ${'USERS'.padStart(countWidth)}`,
    );
    if (rows.length === 0) return [header, '(no rooms)'];
    return [
      header,
      ...rows.map(
        ([name, users]) =>
          `${name.padEnd(nameWidth)}  ${users.padStart(countWidth)}`,
      ),
    ];
  }

  /** `users in #room1 (2): a, b`; with roles, the owner and operators first: `alice (owner), bob (op), carol`. */
  who(w: WhoList): string {
    const roles = w.roles ?? {};
    const names = byRole(w.users, roles).map((u) =>
      this.clean(withRole(u, roles[u])),
    );
    return `users in ${this.roomName(w.room)} (${names.length}): ${names.join(', ') || '(nobody)'}`;
  }

  subscribed(user: string): string {
    return `subscribed to ${this.clean(user)}`;
  }

  unsubscribed(user: string): string {
    return `unsubscribed from ${this.clean(user)}`;
  }

  /** A local status line (`connected to localhost:8000 (#global)`). */
  info(text: string): string {
    return this.cyan(text);
  }

  warning(text: string): string {
    return this.yellow(`warning: ${text}`);
  }

  /** A local one-line failure (bad command, lost connection); goes to stderr. */
  problem(text: string): string {
    return this.red(text);
  }

  prompt(user: string, room: string): string {
    return `${this.bold(`${this.clean(user)}@${this.clean(room)}`)}> `;
  }

  time(ts: number): string {
    const date = new Date(Number.isFinite(ts) ? ts : Date.now());
    return this.dim(`[${this.hms(date)}]`);
  }

  /** When a ban or mute ends: `14:30:00`, with the date in front when it is not today. */
  private clock(ms: number): string {
    const date = new Date(Number.isFinite(ms) ? ms : Date.now());
    if (date.toDateString() === new Date().toDateString())
      return this.hms(date);
    const pad = (n: number): string => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${this.hms(date)}`;
  }

  private hms(date: Date): string {
    const pad = (n: number): string => String(n).padStart(2, '0');
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  }

  private room(name: string): string {
    return this.cyan(this.roomName(name));
  }

  private roomName(name: string): string {
    return `#${this.clean(name)}`;
  }

  private users(count: number): string {
    return this.count(count, 'user');
  }

  /** `1 message`, `2 messages`. */
  count(n: number, noun: string): string {
    return `${n} ${n === 1 ? noun : `${noun}s`}`;
  }

  private nick(name: string, text: string): string {
    if (!this.colour) return text;
    let hash = 0;
    for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return NICK_COLOURS[hash % NICK_COLOURS.length](text);
  }

  private clean(text: unknown): string {
    return this.sanitizer.clean(text);
  }
}
