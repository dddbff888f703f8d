import { Inject, Injectable } from '@nestjs/common';

import { RoomCount } from '@app/protocol';
import {
  ChatKeys,
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { INSTANCE_ID } from './rooms.constants';

export interface SessionRef {
  id: string;
  username: string;
}

/** A session of this instance, with the client address the connection caps count it under. */
export interface ClientSessionRef extends SessionRef {
  address: string;
}

export interface Move {
  /** True when the session's user has no session left in the room moved from. */
  userLeft: boolean;
  /** True when the session's user had no session in the target room before. */
  userJoined: boolean;
  /** Distinct users now in the target room. */
  users: number;
  /** True when this was the user's last session anywhere. */
  offline: boolean;
  /** True when nobody is left in the room moved from. */
  emptied: boolean;
}

export interface Departure {
  room: string;
  user: string;
  /** True when nobody is left in the room. */
  emptied: boolean;
}

/** The connection caps: open sessions per user, and per client address, across the cluster. */
export interface Caps {
  perUser: number;
  perAddress: number;
}

/** A new session's slot was taken, or which cap refused it and how many sessions hold that cap. */
export type Admission =
  | { admitted: true }
  | { admitted: false; cap: 'user' | 'address'; open: number };

export interface Heartbeat {
  /** This instance's alive key had expired (it was paused, or Redis lost it). */
  lapsed: boolean;
  /** Another instance gave this one up for dead and removed its sessions. */
  reaped: boolean;
}

/** What one pass of reaping found: the users who left a room, and the instances this pass removed. */
export interface Reaping {
  departures: Departure[];
  /** Each removed instance once across the cluster (the pass that took it out of the set), with its session count. */
  reaped: Array<{ instance: string; sessions: number }>;
}

type MoveReply =
  ['ok', number, number, number, number, number] | ['stale', string];
type AdmitReply = ['ok' | 'user' | 'address', number];

/** Membership, counts and instance liveness, shared by every instance through Redis. */
@Injectable()
export class RoomsService {
  private readonly sessionsKey: string;
  /** The live instances seen at the last heartbeat, whose sessions the connection caps count. */
  private instances: string[] = [];
  /** This instance's public address, kept in its alive key; '' until it listens. */
  private publicUrl = '';
  /** The other live instances' public addresses seen at the last heartbeat, sorted. */
  private peerUrls: string[] = [];
  private readonly admitScript: LuaCommand<AdmitReply>;
  private readonly moveScript: LuaCommand<MoveReply>;
  private readonly heartbeatScript: LuaCommand<[number, number]>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
  ) {
    this.sessionsKey = ChatKeys.instanceSessions(instanceId);
    this.admitScript = defineLuaCommand(
      redis,
      'chatRoomsAdmit',
      readLuaFile(__dirname, 'admit.lua'),
    );
    this.moveScript = defineLuaCommand(
      redis,
      'chatRoomsMove',
      readLuaFile(__dirname, 'move.lua'),
    );
    this.heartbeatScript = defineLuaCommand(
      redis,
      'chatRoomsHeartbeat',
      readLuaFile(__dirname, 'heartbeat.lua'),
    );
  }

  /** Records a new session of this instance in `room`, counted against its client address (unless `admit` counted it). */
  open(session: ClientSessionRef, room: string): Promise<Move> {
    return this.runMove(this.sessionsKey, session, '', room, session.address);
  }

  /** Takes the session out of `room` ('' for an admitted one that never opened) and off this instance, and out of its address's count. */
  close(session: ClientSessionRef, room: string): Promise<Move> {
    return this.runMove(this.sessionsKey, session, room, '', session.address);
  }

  /** Moves the session from room `from` ('' for a new session) to `to` ('' to take it offline). */
  move(session: SessionRef, from: string, to: string): Promise<Move> {
    return this.runMove(this.sessionsKey, session, from, to, '');
  }

  async list(): Promise<RoomCount[]> {
    const names = (await this.redis.smembers(ChatKeys.rooms)).sort();
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    names.forEach((name) => pipeline.hlen(ChatKeys.room(name)));
    const counts = (await pipeline.exec()) ?? [];
    return names
      .map((name, i) => ({ name, users: Number(counts[i]?.[1] ?? 0) }))
      .filter((room) => room.users > 0);
  }

  /** True when someone is in the room. */
  async occupied(room: string): Promise<boolean> {
    return (await this.redis.exists(ChatKeys.room(room))) === 1;
  }

  /**
   * Counts a room `user` creates against `perHour`: 0 when allowed, else the seconds until the hour,
   * counted from the user's first creation in it, is over.
   */
  async countCreation(user: string, perHour: number): Promise<number> {
    const key = ChatKeys.roomsCreated(user);
    const replies = await this.redis
      .multi()
      .incr(key)
      .expire(key, 3600, 'NX')
      .ttl(key)
      .exec();
    const [created, , ttl] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return Number(value);
    });
    return created > perHour ? Math.max(ttl, 1) : 0;
  }

  async who(room: string): Promise<string[]> {
    return (await this.redis.hkeys(ChatKeys.room(room))).sort();
  }

  async isOnline(username: string): Promise<boolean> {
    return Number(await this.redis.hget(ChatKeys.online, username)) > 0;
  }

  /**
   * Marks this instance alive for `ttlMs` at `publicUrl` (where clients reach it); an instance that
   * stops doing so is reaped by the others.
   */
  async heartbeat(
    ttlMs: number,
    publicUrl = this.publicUrl,
  ): Promise<Heartbeat> {
    this.publicUrl = publicUrl;
    const keys = [
      ChatKeys.instanceAlive(this.instanceId),
      ChatKeys.instances,
      ChatKeys.instanceReaped(this.instanceId),
    ];
    const [lapsed, reaped] = await this.heartbeatScript(keys, [
      this.instanceId,
      ttlMs,
      publicUrl,
    ]);
    return { lapsed: lapsed === 1, reaped: reaped === 1 };
  }

  /**
   * Takes a slot for a new session of this instance in one atomic step, when neither the user's nor the
   * address's open sessions (on the instances known at the last heartbeat) have reached their cap.
   */
  async admit(session: ClientSessionRef, caps: Caps): Promise<Admission> {
    const others = this.instances.filter((id) => id !== this.instanceId);
    const keys = [
      ChatKeys.online,
      this.sessionsKey,
      ChatKeys.instanceAddresses(this.instanceId),
      ...others.map((id) => ChatKeys.instanceAddresses(id)),
    ];
    const [verdict, open] = await this.admitScript(keys, [
      session.id,
      session.username,
      session.address,
      caps.perUser,
      caps.perAddress,
    ]);
    return verdict === 'ok'
      ? { admitted: true }
      : { admitted: false, cap: verdict, open };
  }

  /** The public addresses of the live instances seen at the last heartbeat, this one first. */
  instanceUrls(): string[] {
    return [...new Set([this.publicUrl, ...this.peerUrls])].filter(Boolean);
  }

  /** Removes the sessions of instances whose heartbeat has expired, and notes the live ones' addresses. */
  async reapDeadInstances(): Promise<Reaping> {
    const departures: Departure[] = [];
    const reaped: Reaping['reaped'] = [];
    const peerUrls: string[] = [];
    this.instances = await this.redis.smembers(ChatKeys.instances);
    for (const instance of this.instances) {
      if (instance === this.instanceId) continue;
      const alive = await this.redis.get(ChatKeys.instanceAlive(instance));
      if (alive !== null) {
        if (alive.startsWith('https://')) peerUrls.push(alive);
        continue;
      }
      const sessionsKey = ChatKeys.instanceSessions(instance);
      const records = Object.entries(await this.redis.hgetall(sessionsKey));
      for (const [id, record] of records) {
        const [username, room] = splitRecord(record);
        const move = await this.runMove(
          sessionsKey,
          { id, username },
          room,
          '',
          '',
        );
        if (move.userLeft)
          departures.push({ room, user: username, emptied: move.emptied });
      }
      const replies = await this.redis
        .multi()
        .del(sessionsKey)
        .del(ChatKeys.instanceAddresses(instance))
        .srem(ChatKeys.instances, instance)
        .set(ChatKeys.instanceReaped(instance), '1', 'EX', 86400)
        .exec();
      if (replies?.[2]?.[1] === 1)
        reaped.push({ instance, sessions: records.length });
    }
    this.peerUrls = peerUrls.sort();
    return { departures, reaped };
  }

  /**
   * Makes Redis agree with this instance's live sessions (after Redis was unreachable or restarted empty,
   * or after this instance was reaped while paused): records of sessions that are gone are removed, live
   * ones are put back in their rooms. Returns the moves of the sessions put back.
   */
  async resync<S extends SessionRef & { room: string; address: string }>(
    live: S[],
  ): Promise<Array<{ session: S; move: Move }>> {
    const addresses = ChatKeys.instanceAddresses(this.instanceId);
    const rewrite = this.redis.multi().del(addresses);
    live.forEach((session) => rewrite.hincrby(addresses, session.address, 1));
    await rewrite.exec();
    const recorded = new Map(
      Object.entries(await this.redis.hgetall(this.sessionsKey)).map(
        ([id, rec]) => [id, splitRecord(rec)],
      ),
    );
    const liveIds = new Set(live.map((s) => s.id));
    // A record without a room is an upgrade in flight (admit.lua): its socket gives it back.
    for (const [id, [username, room]] of recorded) {
      if (!liveIds.has(id) && room !== '')
        await this.move({ id, username }, room, '');
    }
    const moves: Array<{ session: S; move: Move }> = [];
    for (const session of live) {
      moves.push({
        session,
        move: await this.move(
          session,
          recorded.get(session.id)?.[1] ?? '',
          session.room,
        ),
      });
    }
    return moves;
  }

  /** Forgets this instance (clean shutdown, after its sessions have exited). */
  async retire(): Promise<void> {
    await this.redis
      .multi()
      .del(ChatKeys.instanceAlive(this.instanceId))
      .del(ChatKeys.instanceAddresses(this.instanceId))
      .srem(ChatKeys.instances, this.instanceId)
      .exec();
  }

  /* The session's record may name another room than this instance believes (a timed-out move that Redis
     carried out after all): the script says so, and the move is retried from the recorded room. */
  private async runMove(
    sessionsKey: string,
    session: SessionRef,
    from: string,
    to: string,
    address: string,
    retry = true,
  ): Promise<Move> {
    const keys = [
      sessionsKey,
      ChatKeys.online,
      ChatKeys.rooms,
      ChatKeys.room(from),
      ChatKeys.room(to),
      ChatKeys.instanceAddresses(this.instanceId),
    ];
    const reply = await this.moveScript(keys, [
      session.id,
      session.username,
      from,
      to,
      address,
    ]);
    if (reply[0] === 'stale') {
      if (!retry) throw new Error(`Session ${session.id} moved concurrently`);
      return this.runMove(sessionsKey, session, reply[1], to, address, false);
    }
    const [, left, joined, users, offline, emptied] = reply;
    return {
      userLeft: left === 1,
      userJoined: joined === 1,
      users,
      offline: offline === 1,
      emptied: emptied === 1,
    };
  }
}

function splitRecord(record: string): [string, string] {
  const space = record.indexOf(' ');
  return [record.slice(0, space), record.slice(space + 1)];
}
