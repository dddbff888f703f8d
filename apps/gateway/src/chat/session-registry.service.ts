import { Injectable } from '@nestjs/common';

import {
  ChatMessage,
  DirectMessage,
  Presence,
  ServerEvent,
} from '@app/protocol';

import { ChatSession, OutFrame } from './chat-session';
import { eventFrame } from './frames';

/**
 * This instance's live sessions, indexed by room and by user, and whom their users follow; fans bus
 * events out to them. Each event's frame is serialized once and the same string goes to every recipient.
 */
@Injectable()
export class SessionRegistry {
  private readonly byRoom = new Map<string, Set<ChatSession>>();
  private readonly byUser = new Map<string, Set<ChatSession>>();
  /** For each user followed by a local user: those local users. */
  private readonly followersOf = new Map<string, Set<string>>();
  private readonly followingOf = new Map<string, Set<string>>();

  add(session: ChatSession): void {
    index(this.byRoom, session.room, session);
    index(this.byUser, session.username, session);
  }

  remove(session: ChatSession): void {
    unindex(this.byRoom, session.room, session);
    unindex(this.byUser, session.username, session);
    if (!this.byUser.has(session.username))
      this.setFollowing(session.username, []);
  }

  moveTo(session: ChatSession, room: string): void {
    unindex(this.byRoom, session.room, session);
    session.room = room;
    index(this.byRoom, room, session);
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
  setFollowing(user: string, targets: string[]): void {
    for (const target of this.followingOf.get(user) ?? [])
      this.follow(user, target, false);
    if (!this.byUser.has(user)) return;
    targets.forEach((target) => this.follow(user, target, true));
  }

  follow(user: string, target: string, following: boolean): void {
    if (following && !this.byUser.has(user)) return;
    if (following) {
      index(this.followingOf, user, target);
      index(this.followersOf, target, user);
    } else {
      unindex(this.followingOf, user, target);
      unindex(this.followersOf, target, user);
    }
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
   * sessions in its room, which have the ordinary copy. Returns the recipients.
   */
  deliverSaid(message: ChatMessage): number {
    let count = 0;
    let frame: Buffer | undefined;
    const stream = `said:${message.from}`;
    for (const follower of this.followersOf.get(message.from) ?? []) {
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
    const colon = stream.indexOf(':');
    const name = stream.slice(colon + 1);
    switch (stream.slice(0, colon)) {
      case 'room':
        this.byRoom.get(name)?.forEach((session) => session.send(frame));
        return;
      case 'dm':
        this.byUser.get(name)?.forEach((session) => session.send(frame));
        return;
      default:
        for (const follower of this.followersOf.get(name) ?? [])
          this.byUser.get(follower)?.forEach((session) => session.send(frame));
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

function index<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key) ?? new Set<V>();
  set.add(value);
  map.set(key, set);
}

function unindex<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
