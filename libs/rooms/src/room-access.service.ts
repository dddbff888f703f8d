import { Inject, Injectable } from '@nestjs/common';

import { LOBBY, NoticeAction, RoomRole } from '@app/protocol';
import {
  defineLuaCommand,
  execPipeline,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { RoomsKeys } from './rooms-keys';
import { RoomsService } from './rooms.service';

/** What `act` may do to a room: each a moderation action or a setting change (what its notice records). */
export type RoomAction = NoticeAction;

export type Entry =
  | { allowed: true; created: boolean }
  | { allowed: false; refusal: 'banned'; until: number }
  | { allowed: false; refusal: 'not-invited' };

/** Why `act` refused: the actor has no role, only the owner may, the target outranks the actor, or it is the actor. */
export type ActRefusal =
  'role' | 'owner-only' | 'target' | 'owner-target' | 'self';

export type ActResult =
  | {
      done: true;
      /** ban: when it ends (ms), 0 when it does not end by itself. */
      until?: number;
      /** kick and ban: the target's sessions taken out of the room. */
      removed: string[];
    }
  | { done: false; refusal: ActRefusal };

export interface RoomSettings {
  owner?: string;
  ops: string[];
  private: boolean;
  topic?: string;
}

type EnterReply = ['ok', number] | ['banned', string] | ['not-invited'];
type ModerateReply =
  ['ok', string, string, number, string] | ['forbidden', string] | ['self'];

/**
 * Who may enter, read and moderate a room: its owner, operators, bans, invites and private members, kept in
 * the room's slot beside its membership, so a join's check and a kick's or ban's removal are each one step.
 */
@Injectable()
export class RoomAccessService {
  private readonly enterScript: LuaCommand<EnterReply>;
  private readonly moderateScript: LuaCommand<ModerateReply>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly rooms: RoomsService,
  ) {
    this.enterScript = defineLuaCommand(
      redis,
      'chatRoomsEnter',
      readLuaFile(__dirname, 'room-enter.lua'),
    );
    this.moderateScript = defineLuaCommand(
      redis,
      'chatRoomsModerate',
      readLuaFile(__dirname, 'room-moderate.lua'),
    );
  }

  /** Whether `user` may enter `room` now (see room-enter.lua); the first into an unowned empty room owns it. */
  async enter(room: string, user: string): Promise<Entry> {
    const reply = await this.enterScript(
      [
        RoomsKeys.roomAccess(room),
        RoomsKeys.roomOps(room),
        RoomsKeys.roomInvites(room),
        RoomsKeys.roomBans(room),
        RoomsKeys.roomMembers(room),
        RoomsKeys.roomUsers(room),
      ],
      [user, room === LOBBY ? '1' : '0'],
    );
    if (reply[0] === 'ok') return { allowed: true, created: reply[1] === 1 };
    if (reply[0] === 'banned')
      return { allowed: false, refusal: 'banned', until: Number(reply[1]) };
    return { allowed: false, refusal: 'not-invited' };
  }

  /**
   * Applies one action by `actor` (undefined: an admin) to `target` in `room`, checking the actor's role in
   * the same step. `value`: seconds (ban, 0 = until lifted; invite: the invite's lifetime), the topic, or
   * '1'/'0' (private). Kicks and bans also bring the rooms index's count up to date.
   */
  async act(
    room: string,
    action: RoomAction,
    actor: string | undefined,
    target: string,
    value: string,
  ): Promise<ActResult> {
    const reply = await this.moderateScript(
      [
        RoomsKeys.roomAccess(room),
        RoomsKeys.roomOps(room),
        RoomsKeys.roomInvites(room),
        RoomsKeys.roomBans(room),
        RoomsKeys.roomMembers(room),
        RoomsKeys.roomSessions(room),
        RoomsKeys.roomUsers(room),
        RoomsKeys.roomVersion(room),
      ],
      [action, actor ?? '', target, value, room === LOBBY ? '1' : '0'],
    );
    if (reply[0] === 'self') return { done: false, refusal: 'self' };
    if (reply[0] === 'forbidden')
      return { done: false, refusal: reply[1] as ActRefusal };
    const [, until, removed, users, version] = reply;
    const ids = removed ? removed.split(',') : [];
    if (ids.length > 0) await this.rooms.reindex(room, users, version);
    return {
      done: true,
      ...(until !== '' && { until: Number(until) }),
      removed: ids,
    };
  }

  // These reads are pipelines, not MULTIs: once Redis is out of memory it refuses every command queued in a
  // MULTI, and reads must keep working then (storage-budget.e2e).
  /** The room's owner, operators, privacy and topic. */
  async settings(room: string): Promise<RoomSettings> {
    const [access, ops] = (await execPipeline(
      this.redis
        .pipeline()
        .hgetall(RoomsKeys.roomAccess(room))
        .smembers(RoomsKeys.roomOps(room)),
    )) as [Record<string, string>, string[]];
    return {
      ...(access.owner && { owner: access.owner }),
      ops: ops.sort(),
      private: access.private === '1',
      ...(access.topic && { topic: access.topic }),
    };
  }

  /** The roles of the room's users that have one. */
  static roles(settings: RoomSettings): Record<string, RoomRole> {
    const roles: Record<string, RoomRole> = {};
    for (const op of settings.ops) roles[op] = 'op';
    if (settings.owner) roles[settings.owner] = 'owner';
    return roles;
  }

  /** True when `user` may read `room`: it is public, or the user is one of its members. */
  async canRead(room: string, user: string): Promise<boolean> {
    if (room === LOBBY) return true;
    const [isPrivate, member] = (await execPipeline(
      this.redis
        .pipeline()
        .hget(RoomsKeys.roomAccess(room), 'private')
        .sismember(RoomsKeys.roomMembers(room), user),
    )) as [string | null, number];
    return isPrivate !== '1' || member === 1;
  }

  /** The members of a private room (who may read its messages), or undefined for a public room. */
  async readers(room: string): Promise<string[] | undefined> {
    if (room === LOBBY) return undefined;
    const [isPrivate, members] = (await execPipeline(
      this.redis
        .pipeline()
        .hget(RoomsKeys.roomAccess(room), 'private')
        .smembers(RoomsKeys.roomMembers(room)),
    )) as [string | null, string[]];
    return isPrivate === '1' ? members : undefined;
  }

  /** Each room's topic and privacy (one read per room: rooms live in different slots). */
  async describe(
    rooms: string[],
  ): Promise<Map<string, { topic?: string; private: boolean }>> {
    const found = await Promise.all(
      rooms.map((room) =>
        this.redis.hmget(RoomsKeys.roomAccess(room), 'topic', 'private'),
      ),
    );
    return new Map(
      rooms.map((room, i) => {
        const [topic, isPrivate] = found[i];
        return [room, { ...(topic && { topic }), private: isPrivate === '1' }];
      }),
    );
  }
}
