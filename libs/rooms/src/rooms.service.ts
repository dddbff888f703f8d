import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

import { RoomCount } from '@app/protocol';
import { REDIS } from '@app/redis';

import {
  INSTANCE_ID,
  INSTANCES_KEY,
  instanceAliveKey,
  instanceSessionsKey,
  ONLINE_KEY,
  ROOM_KEY_PREFIX,
  ROOMS_KEY,
} from './rooms.constants';
import { MOVE_SCRIPT, REAP_SCRIPT } from './rooms.scripts';

export interface SessionRef {
  id: string;
  username: string;
}

export interface Move {
  /** The room the session was in, or null when it had none. */
  from: string | null;
  /** True when the session's user has no session left in `from`. */
  userLeft: boolean;
  /** True when the session's user had no session in the target room before. */
  userJoined: boolean;
  /** Distinct users now in the target room. */
  users: number;
}

export interface Departure {
  room: string;
  user: string;
}

@Injectable()
export class RoomsService {
  private readonly sessionsKey: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
  ) {
    this.sessionsKey = instanceSessionsKey(instanceId);
  }

  /** Puts the session in `room`, leaving the one it was in; also registers a new session as online. */
  join(session: SessionRef, room: string): Promise<Move> {
    return this.move(session, room);
  }

  /** Takes the session out of its room and off the online list (disconnect). */
  exit(session: SessionRef): Promise<Move> {
    return this.move(session, '');
  }

  async list(): Promise<RoomCount[]> {
    const names = (await this.redis.smembers(ROOMS_KEY)).sort();
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    names.forEach((name) => pipeline.hlen(ROOM_KEY_PREFIX + name));
    const counts = (await pipeline.exec()) ?? [];
    return names
      .map((name, i) => ({ name, users: Number(counts[i]?.[1] ?? 0) }))
      .filter((room) => room.users > 0);
  }

  async who(room: string): Promise<string[]> {
    return (await this.redis.hkeys(ROOM_KEY_PREFIX + room)).sort();
  }

  async isOnline(username: string): Promise<boolean> {
    return Number(await this.redis.hget(ONLINE_KEY, username)) > 0;
  }

  /** Marks this instance alive for `ttlMs`; an instance that stops doing so is reaped by the others. */
  async heartbeat(ttlMs: number): Promise<void> {
    await this.redis.multi().set(instanceAliveKey(this.instanceId), '1', 'PX', ttlMs).sadd(INSTANCES_KEY, this.instanceId).exec();
  }

  /** Removes the sessions of instances whose heartbeat has expired; returns the users that left a room. */
  async reapDeadInstances(): Promise<Departure[]> {
    const departures: Departure[] = [];
    for (const instance of await this.redis.smembers(INSTANCES_KEY)) {
      if (instance === this.instanceId) continue;
      const left = (await this.redis.eval(REAP_SCRIPT, 2, instanceSessionsKey(instance), instanceAliveKey(instance), instance)) as string[];
      for (let i = 0; i < left.length; i += 2) departures.push({ room: left[i], user: left[i + 1] });
    }
    return departures;
  }

  /**
   * Makes Redis agree with this instance's live sessions, after Redis was unreachable or restarted empty:
   * records of sessions that are gone are removed, live ones are put back in their rooms.
   */
  async resync(live: Array<SessionRef & { room: string }>): Promise<void> {
    const liveIds = new Set(live.map((s) => s.id));
    const recorded = await this.redis.hgetall(this.sessionsKey);
    for (const [id, record] of Object.entries(recorded)) {
      if (!liveIds.has(id)) await this.exit({ id, username: record.split(' ')[0] });
    }
    for (const session of live) await this.join(session, session.room);
  }

  /** Forgets this instance (clean shutdown, after its sessions have exited). */
  async retire(): Promise<void> {
    await this.redis.multi().del(instanceAliveKey(this.instanceId)).srem(INSTANCES_KEY, this.instanceId).exec();
  }

  private async move(session: SessionRef, room: string): Promise<Move> {
    const [from, left, joined, users] = (await this.redis.eval(MOVE_SCRIPT, 1, this.sessionsKey, session.id, session.username, room)) as [
      string,
      number,
      number,
      number,
    ];
    return { from: from || null, userLeft: left === 1, userJoined: joined === 1, users };
  }
}
