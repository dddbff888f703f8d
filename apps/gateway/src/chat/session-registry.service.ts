import { Injectable } from '@nestjs/common';

import { ServerEvent } from '@app/protocol';
import { DmEvent, MessageEvent, PresenceEvent } from '@app/pubsub';

import { MetricsService } from '../metrics/metrics.service';

import { ChatSession } from './chat-session';

const frame = (event: ServerEvent, data: object): string => JSON.stringify({ event, data });

/** This instance's live sessions, indexed by room and by user; fans bus events out to them. */
@Injectable()
export class SessionRegistry {
  private readonly byRoom = new Map<string, Set<ChatSession>>();
  private readonly byUser = new Map<string, Set<ChatSession>>();

  constructor(private readonly metrics: MetricsService) {}

  add(session: ChatSession): void {
    this.index(this.byRoom, session.room, session);
    this.index(this.byUser, session.username, session);
  }

  remove(session: ChatSession): void {
    this.unindex(this.byRoom, session.room, session);
    this.unindex(this.byUser, session.username, session);
  }

  moveTo(session: ChatSession, room: string): void {
    this.unindex(this.byRoom, session.room, session);
    session.room = room;
    this.index(this.byRoom, room, session);
  }

  all(): ChatSession[] {
    return [...this.byUser.values()].flatMap((sessions) => [...sessions]);
  }

  /** Room members get the message; subscribers of its sender elsewhere get one copy marked `via`. */
  deliverMessage({ subscribers, ...message }: MessageEvent): void {
    const members = this.byRoom.get(message.room);
    if (members) {
      const ordinary = frame(ServerEvent.Message, message);
      members.forEach((session) => session.send(ordinary));
      this.metrics.delivered('message', members.size);
    }
    let viaFrame: string | undefined;
    for (const subscriber of Array.isArray(subscribers) ? subscribers : []) {
      for (const session of this.byUser.get(subscriber) ?? []) {
        if (session.room === message.room) continue;
        viaFrame ??= frame(ServerEvent.Message, { ...message, via: 'subscription' });
        session.send(viaFrame);
        this.metrics.delivered('message', 1);
      }
    }
  }

  /** Every session of the recipient, and the sender's sessions but the one that sent it. */
  deliverDm({ origin, ...dm }: DmEvent): void {
    const data = frame(ServerEvent.Dm, dm);
    const recipients = [...(this.byUser.get(dm.to) ?? []), ...(this.byUser.get(dm.from) ?? [])].filter((session) => session.id !== origin);
    recipients.forEach((session) => session.send(data));
    this.metrics.delivered('dm', recipients.length);
  }

  deliverPresence(presence: PresenceEvent): void {
    const members = this.byRoom.get(presence.room);
    if (!members) return;
    const data = frame(ServerEvent.Presence, presence);
    members.forEach((session) => session.username !== presence.user && session.send(data));
  }

  private index(map: Map<string, Set<ChatSession>>, key: string, session: ChatSession): void {
    const set = map.get(key) ?? new Set<ChatSession>();
    set.add(session);
    map.set(key, set);
  }

  private unindex(map: Map<string, Set<ChatSession>>, key: string, session: ChatSession): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) map.delete(key);
  }
}
