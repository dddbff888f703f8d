import { Inject, Injectable } from '@nestjs/common';

import { ChatMessage, DirectMessage } from '@app/protocol';
import {
  ChatKeys,
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
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

/** The DMs to a user that no session of theirs was sent: how many, and the ids to read them between. */
export interface Unread {
  count: number;
  after: string;
  upTo: string;
}

type Entry = [id: string, fields: string[]];

/** How far back `dmPage` scans a user's DMs stored before conversations were indexed (see `dmPage`). */
const LEGACY_DM_SCAN_ENTRIES = 1000;

const entryId = (messageId: string): string => `${BigInt(messageId)}-0`;
const parse = <T extends Stored>(entries: Entry[]): T[] =>
  entries.map(([, fields]) => JSON.parse(fields[1]) as T);

/** Reads the message streams that `publish.lua` writes: room history, DM conversations, resume and gap fills. */
@Injectable()
export class HistoryService {
  private readonly unreadScript: LuaCommand<[string, number, string]>;
  private readonly seenScript: LuaCommand<number>;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {
    this.unreadScript = defineLuaCommand(
      redis,
      'chatUnreadDms',
      readLuaFile(__dirname, 'unread-dms.lua'),
    );
    this.seenScript = defineLuaCommand(
      redis,
      'chatDmSeen',
      readLuaFile(__dirname, 'dm-seen.lua'),
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

  /**
   * The DM conversation of `user` with `other`, oldest first, read through the conversation's index of
   * ids (`publish.lua`), so a page costs about `limit` entries whatever else the user's stream holds.
   * DMs stored before the index existed (below `dmIndexedSince`) are found by a scan of at most
   * LEGACY_DM_SCAN_ENTRIES entries of the user's stream, once the index has run out.
   */
  async dmPage(
    user: string,
    other: string,
    limit: number,
    before?: string,
  ): Promise<Page<DirectMessage>> {
    const end = before ? `(${entryId(before)}` : '+';
    const [index, indexedSince] = await Promise.all([
      this.redis.xrevrange(
        ChatKeys.dmWith(user, other),
        end,
        '-',
        'COUNT',
        limit + 1,
      ),
      this.redis.get(ChatKeys.dmIndexedSince),
    ]);
    const found = await this.byIds<DirectMessage>(
      ChatKeys.dmHistory(user),
      index.slice(0, limit).map(([id]) => id),
    );
    if (index.length > limit) return { messages: found, more: true };
    const older = await this.legacyDms(
      user,
      other,
      limit - found.length,
      lowest(found[0]?.id ?? before, indexedSince ?? undefined),
    );
    return {
      messages: [...older.messages, ...found],
      more: older.more,
    };
  }

  /**
   * Everything after `after` up to `upTo` in the streams, merged in id order without duplicates, read
   * `pageSize` entries of a stream at a time as the caller consumes them: never a whole stream at once.
   */
  async *replay(
    keys: string[],
    after: string,
    upTo: string,
    pageSize: number,
  ): AsyncGenerator<Stored> {
    const end = entryId(upTo);
    const cursors = keys.map((key) => ({
      key,
      from: `(${entryId(after)}`,
      buffer: [] as Stored[],
      done: false,
    }));
    const fill = async (cursor: (typeof cursors)[number]): Promise<void> => {
      const entries = (await this.redis.xrange(
        cursor.key,
        cursor.from,
        end,
        'COUNT',
        pageSize,
      )) as Entry[];
      cursor.buffer = parse(entries);
      cursor.done = entries.length < pageSize;
      if (entries.length > 0)
        cursor.from = `(${entries[entries.length - 1][0]}`;
    };
    await Promise.all(cursors.map(fill));
    let last = '';
    for (;;) {
      let next: (typeof cursors)[number] | undefined;
      for (const cursor of cursors) {
        if (cursor.buffer.length === 0) continue;
        if (!next || cursor.buffer[0].id < next.buffer[0].id) next = cursor;
      }
      if (!next) return;
      const message = next.buffer.shift() as Stored;
      if (next.buffer.length === 0 && !next.done) await fill(next);
      if (message.id <= last) continue;
      last = message.id;
      yield message;
    }
  }

  /**
   * Whether the streams still hold everything after `since`: false when one was trimmed past it, or when
   * `since` is older than the data Redis holds (`floor`).
   */
  async complete(keys: string[], since: string, floor = '0'): Promise<boolean> {
    if (since < floor) return false;
    if (keys.length === 0) return true;
    const pipeline = this.redis.pipeline();
    keys.forEach((key) => pipeline.xinfo('STREAM', key));
    const replies = (await pipeline.exec()) ?? [];
    return replies.every(
      ([error, info]) => error || !lostAfter(info as unknown[], BigInt(since)),
    );
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
    return this.since(HistoryService.keysOf(scope), since, floor);
  }

  /** The streams that hold what these rooms, users (their DMs) and followed users concern. */
  static keysOf(scope: Scope): string[] {
    return [
      ...scope.rooms.map(ChatKeys.roomHistory),
      ...scope.users.map(ChatKeys.dmHistory),
      ...scope.followed.map(ChatKeys.saidHistory),
    ];
  }

  /** The DMs to `user` stored after the user's DM-seen mark: none of the user's sessions was sent them. */
  async unreadDms(user: string, pageSize: number): Promise<Unread> {
    const [after, count, upTo] = await this.unreadScript(
      [ChatKeys.dmSeen(user), ChatKeys.dmHistory(user)],
      [`${JSON.stringify({ to: user }).slice(1, -1)},"text":`, pageSize],
    );
    return { count, after, upTo };
  }

  /** The unread DMs counted by `unreadDms`, oldest first, read a page at a time. */
  async *unreadReplay(
    user: string,
    unread: Unread,
    pageSize: number,
  ): AsyncGenerator<DirectMessage> {
    if (unread.count === 0) return;
    const keys = [ChatKeys.dmHistory(user)];
    for await (const dm of this.replay(
      keys,
      unread.after,
      unread.upTo,
      pageSize,
    ))
      if ((dm as DirectMessage).to === user) yield dm as DirectMessage;
  }

  /** Every DM up to `id` was sent to a session of `user` (the mark only rises). */
  async markDmsSeen(user: string, id: string): Promise<void> {
    await this.seenScript([ChatKeys.dmSeen(user)], [BigInt(id).toString()]);
  }

  /** The messages of `key` with these entry ids, oldest first (ids whose entry was trimmed are skipped). */
  private async byIds<T extends Stored>(
    key: string,
    ids: string[],
  ): Promise<T[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    ids.forEach((id) => pipeline.xrange(key, id, id));
    const replies = (await pipeline.exec()) ?? [];
    const messages: T[] = [];
    for (const [error, entries] of replies) {
      if (error) throw error;
      messages.push(...parse<T>(entries as Entry[]));
    }
    return messages.reverse();
  }

  /* The conversation's DMs below `end` that predate the index, from one bounded read of the user's stream. */
  private async legacyDms(
    user: string,
    other: string,
    limit: number,
    end: string | undefined,
  ): Promise<Page<DirectMessage>> {
    if (limit <= 0) return { messages: [], more: true };
    const between = (dm: DirectMessage): boolean =>
      (dm.from === user && dm.to === other) ||
      (dm.from === other && dm.to === user);
    const page = await this.page<DirectMessage>(
      ChatKeys.dmHistory(user),
      LEGACY_DM_SCAN_ENTRIES,
      end,
    );
    const found = page.messages.filter(between);
    if (found.length > limit)
      return { messages: found.slice(-limit), more: true };
    return { messages: found, more: page.more && found.length > 0 };
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

/** The lower of two message ids, either of which may be missing (no bound). */
function lowest(a?: string, b?: string): string | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return BigInt(a) < BigInt(b) ? a : b;
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
