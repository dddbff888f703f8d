import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

import { ChatMessage, DirectMessage } from '@app/protocol';
import {
  ChatKeys,
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
} from '@app/redis';

export type Stored = ChatMessage | DirectMessage;

export interface Page<T extends Stored> {
  messages: T[];
  more: boolean;
}

/** What a stream holds after an id, and whether it still holds everything after it. */
export interface Since<T extends Stored> {
  messages: T[];
  complete: boolean;
}

/** Whose messages: rooms, users whose DMs, and users followed (their messages in any room). */
export interface Scope {
  rooms: string[];
  users: string[];
  followed: string[];
}

type Entry = [id: string, fields: string[]];

const entryId = (messageId: string): string => `${BigInt(messageId)}-0`;
const parse = <T extends Stored>(entries: Entry[]): T[] =>
  entries.map(([, fields]) => JSON.parse(fields[1]) as T);

/** Reads the message streams that `publish.lua` writes: room history, DM conversations, resume and gap fills. */
@Injectable()
export class HistoryService {
  private readonly unreadScript: LuaCommand<Entry[]>;

  constructor(@Inject(REDIS) private readonly redis: Redis) {
    this.unreadScript = defineLuaCommand(
      redis,
      'chatUnreadDms',
      readLuaFile(__dirname, 'unread-dms.lua'),
    );
  }

  /** The room's messages before `before` (newest `limit` of them), oldest first. */
  roomPage(
    room: string,
    limit: number,
    before?: string,
  ): Promise<Page<ChatMessage>> {
    return this.page<ChatMessage>(ChatKeys.roomHistory(room), limit, before);
  }

  /** The DM conversation of `user` with `other`, oldest first. */
  async dmPage(
    user: string,
    other: string,
    limit: number,
    before?: string,
  ): Promise<Page<DirectMessage>> {
    const key = ChatKeys.dmHistory(user);
    const between = (dm: DirectMessage): boolean =>
      (dm.from === user && dm.to === other) ||
      (dm.from === other && dm.to === user);
    const found: DirectMessage[] = [];
    let cursor = before;
    // The user's stream mixes conversations: read back in pages until `limit` of this one are found.
    for (;;) {
      const page = await this.page<DirectMessage>(key, 200, cursor);
      found.unshift(...page.messages.filter(between));
      if (found.length > limit)
        return { messages: found.slice(-limit), more: true };
      if (!page.more || page.messages.length === 0)
        return { messages: found, more: false };
      cursor = page.messages[0].id;
    }
  }

  /**
   * Everything after `since` in each stream, merged in id order without duplicates; `complete` is false
   * when a stream was trimmed past `since`, or when `since` is older than the data Redis holds (`floor`).
   */
  async since(
    keys: string[],
    since: string,
    floor = '0',
  ): Promise<Since<Stored>> {
    if (keys.length === 0) return { messages: [], complete: since >= floor };
    const pipeline = this.redis.pipeline();
    keys.forEach((key) =>
      pipeline.xrange(key, `(${entryId(since)}`, '+').xinfo('STREAM', key),
    );
    const replies = (await pipeline.exec()) ?? [];
    const byId = new Map<string, Stored>();
    let complete = since >= floor;
    for (let i = 0; i < replies.length; i += 2) {
      const [rangeError, entries] = replies[i];
      if (rangeError) throw rangeError;
      parse(entries as Entry[]).forEach((message) =>
        byId.set(message.id, message),
      );
      const [infoError, info] = replies[i + 1];
      if (!infoError && lostAfter(info as unknown[], BigInt(since)))
        complete = false;
    }
    return {
      messages: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
      complete,
    };
  }

  /** `since` over the histories that concern these rooms, users (their DMs) and followed users. */
  after(scope: Scope, since: string, floor?: string): Promise<Since<Stored>> {
    const keys = [
      ...scope.rooms.map(ChatKeys.roomHistory),
      ...scope.users.map(ChatKeys.dmHistory),
      ...scope.followed.map(ChatKeys.saidHistory),
    ];
    return this.since(keys, since, floor);
  }

  /** DMs to `user` stored after their devices last saw their DMs (while none of them was online). */
  async unreadDms(user: string): Promise<DirectMessage[]> {
    const entries = await this.unreadScript(
      [ChatKeys.dmSeen(user), ChatKeys.dmHistory(user)],
      [],
    );
    return parse<DirectMessage>(entries).filter((dm) => dm.to === user);
  }

  /** True when the room has stored messages (or had, until its expiry). */
  async hasRoom(room: string): Promise<boolean> {
    return (await this.redis.exists(ChatKeys.roomHistory(room))) === 1;
  }

  /** Lets the room's history expire in `seconds` (nobody is in the room). */
  async expireRoom(room: string, seconds: number): Promise<void> {
    await this.redis.expire(ChatKeys.roomHistory(room), seconds);
  }

  /** Keeps the room's history (someone is in the room again). */
  async keepRoom(room: string): Promise<void> {
    await this.redis.persist(ChatKeys.roomHistory(room));
  }

  private async page<T extends Stored>(
    key: string,
    limit: number,
    before?: string,
  ): Promise<Page<T>> {
    const end = before ? `(${entryId(before)}` : '+';
    const entries = (await this.redis.xrevrange(
      key,
      end,
      '-',
      'COUNT',
      limit + 1,
    )) as Entry[];
    const messages = parse<T>(entries.slice(0, limit)).reverse();
    return { messages, more: entries.length > limit };
  }
}

/**
 * Whether a stream may have lost entries above `since`, from its XINFO STREAM reply: an entry deleted
 * above it (`max-deleted-entry-id`), or trimmed away by MAXLEN. Trimming removes the oldest entries and
 * does not move `max-deleted-entry-id`: when entries were removed (`entries-added` > `length`) and the
 * oldest one left is above `since + 1`, some of the removed ones may have been above `since`.
 */
function lostAfter(info: unknown[], since: bigint): boolean {
  const field = (name: string): unknown =>
    info.includes(name) ? info[info.indexOf(name) + 1] : undefined;
  const messageId = (entryId: unknown): bigint =>
    BigInt(String(entryId ?? '0-0').split('-')[0]);
  if (messageId(field('max-deleted-entry-id')) > since) return true;
  if (!(Number(field('entries-added')) > Number(field('length')))) return false;
  const first = field('first-entry') as [string, unknown] | null | undefined;
  return first
    ? messageId(first[0]) > since + 1n
    : messageId(field('last-generated-id')) > since;
}
