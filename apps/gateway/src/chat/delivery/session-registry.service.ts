import { Inject, Injectable } from '@nestjs/common';

import {
  ChatMessage,
  DirectMessage,
  Notice,
  Presence,
  ServerEvent,
} from '@app/protocol';
import { BusChannels, BusService } from '@app/pubsub';

import { ChatSession, OutFrame, Replayed } from './chat-session';
import { EventFrame, eventFrame } from './frames';

/** The part of the bus the registry needs: an interest per channel, counted. */
export type BusInterest = Pick<BusService, 'subscribe' | 'unsubscribe'>;

/**
 * This instance's live sessions, indexed by room and by user, and whom their users follow; fans bus
 * events out to them. Each event's frame is serialized once and the same string goes to every recipient.
 * The indexes decide what this instance hears: a room's channel while it has a session in the room, a
 * user's channel while it has a session of that user, and a user's said channel while one of its users
 * follows them. The methods that add an interest resolve once its subscription is active, so a caller
 * that reads history afterwards misses nothing in between (the sequencer drops what comes twice).
 */
@Injectable()
export class SessionRegistry {
  private readonly byRoom = new Map<string, Set<ChatSession>>();
  private readonly byUser = new Map<string, Set<ChatSession>>();
  /** For each user followed by a local user: those local users. */
  private readonly followersOf = new Map<string, Set<string>>();
  private readonly followingOf = new Map<string, Set<string>>();

  constructor(@Inject(BusService) private readonly bus: BusInterest) {}

  async add(session: ChatSession): Promise<void> {
    const room = index(this.byRoom, session.room, session);
    const user = index(this.byUser, session.username, session);
    await Promise.all([
      room && this.bus.subscribe(BusChannels.room(session.room)),
      user && this.bus.subscribe(BusChannels.user(session.username)),
    ]);
  }

  remove(session: ChatSession): void {
    if (unindex(this.byRoom, session.room, session))
      this.bus.unsubscribe(BusChannels.room(session.room));
    if (!unindex(this.byUser, session.username, session)) return;
    this.bus.unsubscribe(BusChannels.user(session.username));
    void this.setFollowing(session.username, []);
  }

  async moveTo(session: ChatSession, room: string): Promise<void> {
    if (room === session.room) return;
    if (unindex(this.byRoom, session.room, session))
      this.bus.unsubscribe(BusChannels.room(session.room));
    session.room = room;
    if (index(this.byRoom, room, session))
      await this.bus.subscribe(BusChannels.room(room));
  }

  all(): ChatSession[] {
    return [...this.byUser.values()].flatMap((sessions) => [...sessions]);
  }

  hasUser(user: string): boolean {
    return this.byUser.has(user);
  }

  /** The users that local users follow (whose said streams this instance reads). */
  followed(): string[] {
    return [...this.followersOf.keys()];
  }

  /** Whom `user` follows, as far as this instance's delivery is concerned (local users only). */
  async setFollowing(user: string, targets: string[]): Promise<void> {
    for (const target of this.followingOf.get(user) ?? [])
      void this.follow(user, target, false);
    if (!this.byUser.has(user)) return;
    await Promise.all(targets.map((target) => this.follow(user, target, true)));
  }

  async follow(
    user: string,
    target: string,
    following: boolean,
  ): Promise<void> {
    if (following && !this.byUser.has(user)) return;
    if (!following) {
      unindex(this.followingOf, user, target);
      if (unindex(this.followersOf, target, user))
        this.bus.unsubscribe(BusChannels.said(target));
      return;
    }
    index(this.followingOf, user, target);
    if (index(this.followersOf, target, user))
      await this.bus.subscribe(BusChannels.said(target));
  }

  /** Room members get a message of the room's stream. Returns the recipients. */
  deliverMessage(message: ChatMessage): number {
    const members = this.byRoom.get(message.room);
    if (!members) return 0;
    const frame = eventFrame(ServerEvent.Message, message);
    const stream = `room:${message.room}`;
    members.forEach((session) =>
      session.deliver(frame, stream, message.id, message.room),
    );
    return members.size;
  }

  /**
   * A follow copy (the sender's said stream): local followers of its sender get it marked `via`, except
   * sessions in its room, which have the ordinary copy. A copy from a private room (`readers`) goes only
   * to the followers among them. Returns the recipients.
   */
  deliverSaid({
    readers,
    ...message
  }: ChatMessage & { readers?: string[] }): number {
    let count = 0;
    let frame: EventFrame | undefined;
    const stream = `said:${message.from}`;
    for (const follower of this.followersOf.get(message.from) ?? []) {
      if (readers && !readers.includes(follower)) continue;
      for (const session of this.byUser.get(follower) ?? []) {
        if (session.room === message.room) continue;
        frame ??= eventFrame(ServerEvent.Message, {
          ...message,
          via: 'subscription',
        });
        session.deliver(frame, stream, message.id);
        count++;
      }
    }
    return count;
  }

  /** A room's notice: every local session in the room. */
  deliverNotice(notice: Notice): void {
    const members = this.byRoom.get(notice.room);
    if (!members) return;
    const frame = eventFrame(ServerEvent.Notice, notice);
    const stream = `room:${notice.room}`;
    members.forEach((session) =>
      session.deliver(frame, stream, notice.id, notice.room),
    );
  }

  /** The local sessions of `user` (none when the user has none here). */
  sessionsOf(user: string): ChatSession[] {
    return [...(this.byUser.get(user) ?? [])];
  }

  /** One inbox's copy of a DM: every session of its owner but the one that sent it. Returns the recipients. */
  deliverDm(dm: DirectMessage, owner: string, origin?: string): number {
    const frame = eventFrame(ServerEvent.Dm, dm);
    const stream = `dm:${owner}`;
    const recipients = [...(this.byUser.get(owner) ?? [])].filter(
      (session) => session.id !== origin,
    );
    recipients.forEach((session) => session.deliverDm(frame, stream, dm.id));
    return recipients.length;
  }

  /** The same frame to every local session that reads the stream (`room:`, `dm:`, `said:`). */
  toReaders(stream: string, frame: OutFrame): void {
    this.readers(stream).forEach((session) => session.send(frame));
  }

  /** A bus gap of the stream, filled to every local session that reads it (`items` gives each its own pass). */
  fill(stream: string, items: () => AsyncIterable<Replayed>): number {
    const readers = this.readers(stream);
    readers.forEach((session) =>
      session.fill(stream, readable(items(), session.username)),
    );
    return readers.length;
  }

  private readers(stream: string): ChatSession[] {
    const colon = stream.indexOf(':');
    const name = stream.slice(colon + 1);
    switch (stream.slice(0, colon)) {
      case 'room':
        return [...(this.byRoom.get(name) ?? [])];
      case 'dm':
        return [...(this.byUser.get(name) ?? [])];
      default:
        return [...(this.followersOf.get(name) ?? [])].flatMap((follower) => [
          ...(this.byUser.get(follower) ?? []),
        ]);
    }
  }

  deliverPresence(presence: Presence): void {
    const members = this.byRoom.get(presence.room);
    if (!members) return;
    const frame = eventFrame(ServerEvent.Presence, presence);
    members.forEach(
      (session) =>
        session.username !== presence.user &&
        session.deliver(frame, undefined, undefined, presence.room),
    );
  }
}

/** The items `user` may see: not a private room's follow copy whose readers leave the user out. */
async function* readable(
  items: AsyncIterable<Replayed>,
  user: string,
): AsyncGenerator<Replayed> {
  for await (const item of items)
    if (!item.readers || item.readers.includes(user)) yield item;
}

/** True when `key` is new to the map. */
function index<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (set) {
    set.add(value);
    return false;
  }
  map.set(key, new Set([value]));
  return true;
}

/** True when `key` left the map (its last value was removed). */
function unindex<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (!set?.delete(value) || set.size > 0) return false;
  map.delete(key);
  return true;
}
