import { Inject, Injectable } from '@nestjs/common';

import { RoomCount } from '@app/protocol';
import {
  defineLuaCommand,
  execPipeline,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { INSTANCE_ID } from './rooms.constants';
import { RoomsKeys } from './rooms-keys';

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

/** One page of the rooms with someone in them, by name; `next` continues it (null on the last page). */
export interface RoomPage {
  rooms: RoomCount[];
  next: string | null;
}

/** The most rooms one page holds (`GET /rooms?limit=`, and the `rooms` event's reply). */
export const ROOMS_PAGE_MAX = 1000;

/** Rooms of the index each reaping pass checks against the rooms themselves (`reconcileIndex`). */
const RECONCILE_BATCH = 50;

/** A room page cursor that is not one this service handed out. */
export class BadRoomCursorError extends Error {}

type RecordReply = ['ok', string, string] | ['stale', string];
type PresenceReply = [number, number, string, number];

interface SessionRecord {
  u: string;
  a: string;
  r: string;
  p?: string;
}

interface Presence {
  /** The user joined (enter) or left (exit) the room. */
  changed: boolean;
  users: number;
  emptied: boolean;
}

/**
 * Membership, counts and instance liveness, shared by every instance through Redis (standalone or
 * Cluster). A move spans four kinds of slot, so it is a chain of steps, each safe to repeat:
 *
 *   1. instance slot: the session record names the room entered and the room left (session-record.lua);
 *   2. room slots: the session leaves the old room and enters the new one (presence.lua), then each room's
 *      count goes to the rooms index with its version (rooms-index.lua); the user's and the address's
 *      session hashes gain the session when it opens, or lose it when it exits;
 *   3. on an exit, the record is deleted last.
 *
 * A move cut half-way (an error, a crash) is repaired by running the session's next step from what the
 * record says: the next move of a live session also leaves the room its record was leaving, and the reaper
 * of a dead instance exits every room its records name, then the user's and the address's hashes.
 */
@Injectable()
export class RoomsService {
  private readonly sessionsKey: string;
  /** Where the next `reconcileIndex` pass starts in the rooms index ('' from the start). */
  private reconcileCursor = '';
  /** This instance's public address, kept in its alive key; '' until it listens. */
  private publicUrl = '';
  /** The other live instances' public addresses seen at the last heartbeat, sorted. */
  private peerUrls: string[] = [];
  private readonly admitScript: LuaCommand<[number, number]>;
  private readonly recordScript: LuaCommand<RecordReply>;
  private readonly presenceScript: LuaCommand<PresenceReply>;
  private readonly indexScript: LuaCommand<number>;
  private readonly pageScript: LuaCommand<Array<string | number>>;
  private readonly heartbeatScript: LuaCommand<[number, number]>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
  ) {
    this.sessionsKey = RoomsKeys.instanceSessions(instanceId);
    const script = <T>(name: string, file: string): LuaCommand<T> =>
      defineLuaCommand<T>(redis, name, readLuaFile(__dirname, file));
    this.admitScript = script('chatRoomsAdmit', 'admit.lua');
    this.recordScript = script('chatRoomsRecord', 'session-record.lua');
    this.presenceScript = script('chatRoomsPresence', 'presence.lua');
    this.indexScript = script('chatRoomsIndex', 'rooms-index.lua');
    this.pageScript = script('chatRoomsPage', 'rooms-page.lua');
    this.heartbeatScript = script('chatRoomsHeartbeat', 'heartbeat.lua');
  }

  /** Records a new session of this instance in `room`, counted for its user and client address (once, if `admit` counted it). */
  open(session: ClientSessionRef, room: string): Promise<Move> {
    return this.runMove(this.sessionsKey, session, '', room, session.address);
  }

  /** Takes the session out of `room` ('' for an admitted one that never opened), off this instance and out of its caps' counts. */
  close(session: ClientSessionRef, room: string): Promise<Move> {
    return this.runMove(this.sessionsKey, session, room, '', session.address);
  }

  /** Moves the session from room `from` ('' for a new session) to `to` ('' to take it offline). */
  move(session: SessionRef, from: string, to: string): Promise<Move> {
    return this.runMove(this.sessionsKey, session, from, to, '');
  }

  /** The first page of rooms (at most ROOMS_PAGE_MAX), for the `rooms` event. */
  async list(): Promise<RoomCount[]> {
    return (await this.page(undefined, ROOMS_PAGE_MAX)).rooms;
  }

  /**
   * Up to `limit` rooms with someone in them, by name, after `cursor` (the `next` of the page before);
   * read from the rooms index, one step of one slot whatever the number of rooms.
   */
  async page(cursor: string | undefined, limit: number): Promise<RoomPage> {
    const after = cursor ? decodeCursor(cursor) : '';
    const flat = await this.pageScript(
      [RoomsKeys.roomsIndex, RoomsKeys.roomsCounts],
      [after, limit],
    );
    const rooms: RoomCount[] = [];
    for (let i = 0; i < flat.length; i += 2)
      rooms.push({ name: String(flat[i]), users: Number(flat[i + 1]) });
    if (rooms.length <= limit) return { rooms, next: null };
    rooms.length = limit;
    return { rooms, next: encodeCursor(rooms[limit - 1].name) };
  }

  /** True when someone is in the room. */
  async occupied(room: string): Promise<boolean> {
    return (await this.redis.exists(RoomsKeys.roomUsers(room))) === 1;
  }

  /**
   * Counts a room `user` creates against `perHour`: 0 when allowed, else the seconds until the hour,
   * counted from the user's first creation in it, is over.
   */
  async countCreation(user: string, perHour: number): Promise<number> {
    const key = RoomsKeys.roomsCreated(user);
    const [created, , ttl] = (await execPipeline(
      this.redis.multi().incr(key).expire(key, 3600, 'NX').ttl(key),
    )) as number[];
    return created > perHour ? Math.max(ttl, 1) : 0;
  }

  /** True when the session is in the room's membership (a kick or ban takes it out there first). */
  async hasSession(room: string, sessionId: string): Promise<boolean> {
    return (
      (await this.redis.hexists(RoomsKeys.roomSessions(room), sessionId)) === 1
    );
  }

  async who(room: string): Promise<string[]> {
    return (await this.redis.hkeys(RoomsKeys.roomUsers(room))).sort();
  }

  async isOnline(username: string): Promise<boolean> {
    return (await this.redis.hlen(RoomsKeys.userSessions(username))) > 0;
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
      RoomsKeys.instanceAlive(this.instanceId),
      RoomsKeys.instanceReaped(this.instanceId),
    ];
    const [lapsed, reaped] = await this.heartbeatScript(keys, [
      ttlMs,
      publicUrl,
    ]);
    await this.redis.sadd(RoomsKeys.instances, this.instanceId);
    return { lapsed: lapsed === 1, reaped: reaped === 1 };
  }

  /**
   * Takes a slot for a new session of this instance when neither the user's nor the address's open sessions
   * have reached their cap. Each cap is one atomic step of its own slot; the record comes first (so a reaper
   * can undo a half-done admission), the user's slot next, and a refusal by the address gives it back.
   */
  async admit(session: ClientSessionRef, caps: Caps): Promise<Admission> {
    const record: SessionRecord = {
      u: session.username,
      a: session.address,
      r: '',
    };
    await this.redis.hsetnx(
      this.sessionsKey,
      session.id,
      JSON.stringify(record),
    );
    // Both caps in one round trip; a slot taken under one cap is given back when the other refuses.
    const userKey = RoomsKeys.userSessions(session.username);
    const addressKey = RoomsKeys.addressSessions(session.address);
    const [[userOk, userOpen], [addressOk, addressOpen]] = await Promise.all([
      this.admitScript([userKey], [session.id, this.instanceId, caps.perUser]),
      this.admitScript(
        [addressKey],
        [session.id, this.instanceId, caps.perAddress],
      ),
    ]);
    if (userOk === 1 && addressOk === 1) return { admitted: true };
    await Promise.all([
      userOk === 1 && this.redis.hdel(userKey, session.id),
      addressOk === 1 && this.redis.hdel(addressKey, session.id),
    ]);
    await this.redis.hdel(this.sessionsKey, session.id);
    return userOk === 1
      ? { admitted: false, cap: 'address', open: addressOpen }
      : { admitted: false, cap: 'user', open: userOpen };
  }

  /** The public addresses of the live instances seen at the last heartbeat, this one first. */
  instanceUrls(): string[] {
    return [...new Set([this.publicUrl, ...this.peerUrls])].filter(Boolean);
  }

  /**
   * Removes the sessions of instances whose heartbeat has expired, and notes the live ones' addresses.
   * Each record is undone step by step (its rooms, its user's and address's hashes, then the record), so a
   * pass cut short, or two instances reaping at once, leave nothing behind and count nothing twice.
   */
  async reapDeadInstances(): Promise<Reaping> {
    const departures: Departure[] = [];
    const reaped: Reaping['reaped'] = [];
    const peerUrls: string[] = [];
    for (const instance of await this.redis.smembers(RoomsKeys.instances)) {
      if (instance === this.instanceId) continue;
      const alive = await this.redis.get(RoomsKeys.instanceAlive(instance));
      if (alive !== null) {
        if (alive.startsWith('https://')) peerUrls.push(alive);
        continue;
      }
      const sessionsKey = RoomsKeys.instanceSessions(instance);
      const records = Object.entries(await this.redis.hgetall(sessionsKey));
      for (const [id, text] of records) {
        const record = parseRecord(text);
        const move = await this.runMove(
          sessionsKey,
          { id, username: record.u },
          record.r,
          '',
          record.a,
        );
        if (move.userLeft)
          departures.push({
            room: record.r,
            user: record.u,
            emptied: move.emptied,
          });
      }
      await execPipeline(
        this.redis
          .multi()
          .del(sessionsKey)
          .set(RoomsKeys.instanceReaped(instance), '1', 'EX', 86400),
      );
      if ((await this.redis.srem(RoomsKeys.instances, instance)) === 1)
        reaped.push({ instance, sessions: records.length });
    }
    this.peerUrls = peerUrls.sort();
    await this.reconcileIndex();
    return { departures, reaped };
  }

  /**
   * Checks the next few rooms of the index against the rooms themselves and sends a newer count it finds
   * (a move cut between a room's step and the index's leaves the index one change behind): every pass of
   * every instance takes the next RECONCILE_BATCH rooms, so the whole index is checked in turn.
   */
  async reconcileIndex(): Promise<void> {
    const page = await this.page(
      this.reconcileCursor ? encodeCursor(this.reconcileCursor) : undefined,
      RECONCILE_BATCH,
    );
    this.reconcileCursor = page.next
      ? page.rooms[page.rooms.length - 1].name
      : '';
    await Promise.all(
      page.rooms.map(async ({ name, users: listed }) => {
        const [version, users] = (await execPipeline(
          this.redis
            .multi()
            .get(RoomsKeys.roomVersion(name))
            .hlen(RoomsKeys.roomUsers(name)),
        )) as [string | null, number];
        if (version !== null && users !== listed)
          await this.index(name, users, version);
      }),
    );
  }

  /**
   * Makes Redis agree with this instance's live sessions (after Redis was unreachable or restarted empty,
   * or after this instance was reaped while paused): records of sessions that are gone are undone, live
   * ones are put back in their rooms and their caps' counts. Returns the moves of the sessions put back.
   */
  async resync<S extends SessionRef & { room: string; address: string }>(
    live: S[],
  ): Promise<Array<{ session: S; move: Move }>> {
    const recorded = new Map(
      Object.entries(await this.redis.hgetall(this.sessionsKey)).map(
        ([id, text]) => [id, parseRecord(text)],
      ),
    );
    const liveIds = new Set(live.map((s) => s.id));
    // A record without a room is an upgrade in flight (admit): its socket gives it back.
    for (const [id, record] of recorded) {
      if (!liveIds.has(id) && record.r !== '')
        await this.runMove(
          this.sessionsKey,
          { id, username: record.u },
          record.r,
          '',
          record.a,
        );
    }
    const moves: Array<{ session: S; move: Move }> = [];
    for (const session of live) {
      const from = recorded.get(session.id)?.r ?? '';
      moves.push({
        session,
        move: await this.runMove(
          this.sessionsKey,
          session,
          from,
          session.room,
          session.address,
          true,
        ),
      });
    }
    return moves;
  }

  /** Forgets this instance (clean shutdown, after its sessions have exited). */
  async retire(): Promise<void> {
    await this.redis.del(RoomsKeys.instanceAlive(this.instanceId));
    await this.redis.srem(RoomsKeys.instances, this.instanceId);
  }

  /* The session's record may name another room than this instance believes (a timed-out move that Redis
     carried out after all): the record step says so, and the move is retried from the recorded room.
     `rejoin` also counts the session for its user and address when it stays where it is (resync). */
  private async runMove(
    sessionsKey: string,
    session: SessionRef,
    from: string,
    to: string,
    address: string,
    rejoin = false,
    retry = true,
  ): Promise<Move> {
    const reply = await this.recordScript(
      [sessionsKey],
      [session.id, session.username, address, from, to],
    );
    if (reply[0] === 'stale') {
      if (!retry) throw new Error(`Session ${session.id} moved concurrently`);
      return this.runMove(
        sessionsKey,
        session,
        reply[1],
        to,
        address,
        rejoin,
        false,
      );
    }
    const [, recordedAddress, leaving] = reply;
    const user = session.username;
    const sessionHashes = [
      RoomsKeys.userSessions(user),
      ...(recordedAddress ? [RoomsKeys.addressSessions(recordedAddress)] : []),
    ];
    const enters = to !== '' && (from === '' || rejoin);
    const [left, entered, offline] = await Promise.all([
      from !== '' && from !== to ? this.presence('exit', from, session) : null,
      to !== '' ? this.presence('enter', to, session) : null,
      to === ''
        ? this.exitHashes(sessionHashes, session.id)
        : enters
          ? this.enterHashes(sessionHashes, session.id)
          : false,
      leaving !== '' && leaving !== from && leaving !== to
        ? this.presence('exit', leaving, session)
        : null,
    ]);
    if (to === '') await this.redis.hdel(sessionsKey, session.id);
    return {
      userLeft: left?.changed ?? false,
      userJoined: entered?.changed ?? false,
      users: entered?.users ?? 0,
      offline,
      emptied: left?.emptied ?? false,
    };
  }

  /* The room's own step, then its count to the index: a cut between them leaves the index one change behind
     until the room's next step (any move in or out, or the repeat of this one) brings the newer version. */
  private async presence(
    op: 'enter' | 'exit',
    room: string,
    session: SessionRef,
  ): Promise<Presence> {
    const [flag, users, version, emptied] = await this.presenceScript(
      [
        RoomsKeys.roomSessions(room),
        RoomsKeys.roomUsers(room),
        RoomsKeys.roomVersion(room),
      ],
      [op, session.id, session.username],
    );
    await this.index(room, users, version);
    return { changed: flag === 1, users, emptied: emptied === 1 };
  }

  /** Sends a room's count at `version` to the rooms index (after a step that changed membership, such as a kick). */
  async reindex(room: string, users: number, version: string): Promise<void> {
    await this.index(room, users, version);
  }

  private index(room: string, users: number, version: string): Promise<number> {
    return this.indexScript(
      [RoomsKeys.roomsIndex, RoomsKeys.roomsCounts, RoomsKeys.roomsGone],
      [room, users, version],
    );
  }

  private async enterHashes(keys: string[], sessionId: string): Promise<false> {
    await Promise.all(
      keys.map((key) => this.redis.hset(key, sessionId, this.instanceId)),
    );
    return false;
  }

  /** Takes the session out of its user's and address's hashes: true when it was the user's last. */
  private async exitHashes(
    keys: string[],
    sessionId: string,
  ): Promise<boolean> {
    const [userKey, ...rest] = keys;
    const [[removed, open]] = (await Promise.all([
      execPipeline(this.redis.multi().hdel(userKey, sessionId).hlen(userKey)),
      ...rest.map((key) => this.redis.hdel(key, sessionId)),
    ])) as [number[], ...number[]];
    return removed === 1 && open === 0;
  }
}

function parseRecord(text: string): SessionRecord {
  const record = JSON.parse(text) as SessionRecord;
  return { u: record.u, a: record.a ?? '', r: record.r ?? '', p: record.p };
}

function encodeCursor(room: string): string {
  return Buffer.from(`r:${room}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString()
    : '';
  if (!text.startsWith('r:') || text.length < 3)
    throw new BadRoomCursorError(
      `cursor "${cursor.slice(0, 40)}" is not a rooms cursor: pass the "next" of the previous page, or no cursor for the first page`,
    );
  return text.slice(2);
}
