import { Inject, Injectable } from '@nestjs/common';

import { ChatMessage, DirectMessage, Notice } from '@app/protocol';
import {
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { PubsubKeys } from './pubsub-keys';

/** What a stream holds: room messages (a follow copy may carry `readers`), DMs, and a room's notices. */
export type Stored =
  (ChatMessage & { readers?: string[] }) | DirectMessage | Notice;

export interface Page<T extends Stored> {
  messages: T[];
  more: boolean;
}

/**
 * A stream as the server names it: `room:<room>`, `dm:<user>` (the user's inbox; clients call it `dm`),
 * `said:<user>`. Each has its own ids, and its history and counter in its own slot.
 */
export function streamKeys(stream: string): { history: string; seq: string } {
  const colon = stream.indexOf(':');
  const kind = stream.slice(0, colon);
  const name = stream.slice(colon + 1);
  if (kind === 'room')
    return {
      history: PubsubKeys.roomHistory(name),
      seq: PubsubKeys.roomSeq(name),
    };
  if (kind === 'dm')
    return { history: PubsubKeys.inbox(name), seq: PubsubKeys.inboxSeq(name) };
  if (kind === 'said')
    return { history: PubsubKeys.said(name), seq: PubsubKeys.saidSeq(name) };
  throw new Error(`Unknown stream "${stream}"`);
}

/** A stream's state against a cursor: its last id (all zeros when none) and whether all after the cursor is still there. */
export interface StreamHead {
  head: string;
  complete: boolean;
}

/** The DMs to a user that no session of theirs was sent: how many, and the ids to read them between. */
export interface Unread {
  count: number;
  after: string;
  upTo: string;
}

type Entry = [id: string, fields: string[]];

const entryId = (messageId: string): string => `${BigInt(messageId)}-0`;
const parse = <T extends Stored>(entries: Entry[]): T[] =>
  entries.map(([, fields]) => JSON.parse(fields[1]) as T);

/** Reads the message streams that the store steps write: history pages, resume replays and gap fills, one stream at a time. */
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
  ): Promise<Page<ChatMessage | Notice>> {
    return this.page<ChatMessage | Notice>(
      PubsubKeys.roomHistory(room),
      limit,
      before,
    );
  }

  /**
   * The DM conversation of `user` with `other` (the user's inbox copies), oldest first, read through the
   * conversation's index of ids, so a page costs about `limit` entries whatever else the inbox holds.
   */
  async dmPage(
    user: string,
    other: string,
    limit: number,
    before?: string,
  ): Promise<Page<DirectMessage>> {
    const end = before ? `(${entryId(before)}` : '+';
    const index = await this.redis.xrevrange(
      PubsubKeys.dmWith(user, other),
      end,
      '-',
      'COUNT',
      limit + 1,
    );
    const found = await this.byIds<DirectMessage>(
      PubsubKeys.inbox(user),
      index.slice(0, limit).map(([id]) => id),
    );
    return { messages: found, more: index.length > limit };
  }

  /**
   * The stream's messages after `after` up to `upTo`, in id order, read `pageSize` entries at a time as
   * the caller consumes them: never a whole stream at once.
   */
  async *replay(
    stream: string,
    after: string,
    upTo: string,
    pageSize: number,
  ): AsyncGenerator<Stored> {
    const key = streamKeys(stream).history;
    const end = entryId(upTo);
    let from = `(${entryId(after)}`;
    for (;;) {
      const entries = (await this.redis.xrange(
        key,
        from,
        end,
        'COUNT',
        pageSize,
      )) as Entry[];
      yield* parse(entries);
      if (entries.length < pageSize) return;
      from = `(${entries[entries.length - 1][0]}`;
    }
  }

  /**
   * Each stream's last id, and whether it still holds everything after the cursor: false when the
   * cursor is above the stream's counter (Redis lost acknowledged writes, a failover), when the
   * cursor's own entry is gone while older ones remain (lost, not trimmed), or when the stream was
   * trimmed or deleted past it (retention).
   */
  async heads(cursors: Map<string, string>): Promise<Map<string, StreamHead>> {
    const streams = [...cursors.keys()];
    const heads = await Promise.all(
      streams.map((stream) => this.head(stream, cursors.get(stream) ?? '0')),
    );
    return new Map(streams.map((stream, i) => [stream, heads[i]]));
  }

  /** Each stream's last id (all zeros when none); one read per stream, as streams live in different slots. */
  async counters(streams: string[]): Promise<Map<string, string>> {
    const values = await Promise.all(
      streams.map((stream) => this.redis.get(streamKeys(stream).seq)),
    );
    return new Map(
      streams.map((stream, i) => [
        stream,
        String(values[i] ?? '0').padStart(16, '0'),
      ]),
    );
  }

  /* One stream's `heads`, in one pipeline on its own slot. */
  private async head(stream: string, cursor: string): Promise<StreamHead> {
    const { history, seq } = streamKeys(stream);
    const entry = entryId(cursor);
    const [[seqError, last], [, info], [, own], [, older]] = ((await this.redis
      .pipeline()
      .get(seq)
      .xinfo('STREAM', history)
      .xrange(history, entry, entry)
      .xrevrange(history, `(${entry}`, '-', 'COUNT', 1)
      .exec()) ?? []) as Array<[Error | null, unknown]>;
    if (seqError) throw seqError;
    const head = String(last ?? '0').padStart(16, '0');
    const gone =
      BigInt(cursor) > 0n &&
      (own as Entry[] | null)?.length === 0 &&
      ((older as Entry[] | null)?.length ?? 0) > 0;
    const complete =
      cursor <= head &&
      !gone &&
      !(info && lostAfter(info as unknown[], BigInt(cursor)));
    return { head, complete };
  }

  /** The DMs to `user` stored after the user's DM-seen mark: none of the user's sessions was sent them. */
  async unreadDms(user: string, pageSize: number): Promise<Unread> {
    const [after, count, upTo] = await this.unreadScript(
      [PubsubKeys.dmSeen(user), PubsubKeys.inbox(user)],
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
    for await (const dm of this.replay(
      `dm:${user}`,
      unread.after,
      unread.upTo,
      pageSize,
    ))
      if ((dm as DirectMessage).to === user) yield dm as DirectMessage;
  }

  /** Every DM of the user's inbox up to `id` was sent to a session of `user` (the mark only rises). */
  async markDmsSeen(user: string, id: string): Promise<void> {
    await this.seenScript([PubsubKeys.dmSeen(user)], [BigInt(id).toString()]);
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

  /** True when the room has stored messages (or had, until its expiry). */
  async hasRoom(room: string): Promise<boolean> {
    return (await this.redis.exists(PubsubKeys.roomHistory(room))) === 1;
  }

  /** Lets the room's history expire in `seconds` (nobody is in the room); its counter stays, so ids keep rising. */
  async expireRoom(room: string, seconds: number): Promise<void> {
    await this.redis.expire(PubsubKeys.roomHistory(room), seconds);
  }

  /** Keeps the room's history (someone is in the room again). */
  async keepRoom(room: string): Promise<void> {
    await this.redis.persist(PubsubKeys.roomHistory(room));
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
