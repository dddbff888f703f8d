import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { ACCOUNT_DISABLED, UsersService } from '@app/auth';
import {
  ClientEvent,
  ClientPayloads,
  CLOSE_ACCOUNT_DISABLED,
  CLOSE_POLICY,
  Cursors,
  DM_STREAM,
  ErrorCode,
  HistoryPage,
  Joined,
  LOBBY,
  Resumed,
  RoomsList,
  Sent,
  ServerEvent,
  SubscriptionChange,
  WhoList,
} from '@app/protocol';
import {
  ChatBus,
  Draft,
  HistoryService,
  Outcome,
  ReadLeases,
  ReadsBusyError,
  Stored,
  SubscriptionsService,
} from '@app/pubsub';
import { isRedisOutOfMemory, STORE_FULL_MESSAGE } from '@app/redis';
import {
  ClientSessionRef,
  INSTANCE_ID,
  Move,
  RoomAccessService,
  RoomsService,
} from '@app/rooms';

import { MetricsService } from '../metrics/metrics.service';

import { ChatError } from './chat-error';
import { ChatSession, Replayed } from './delivery/chat-session';
import { DmSeenWriter } from './delivery/dm-seen-writer';
import { replayed, serverFrame } from './delivery/frames';
import { SessionRegistry } from './delivery/session-registry.service';

type Reply<T> = Omit<T, 'ref'>;

/** A `history` request (`ClientPayloads`), its limit defaulted. */
export type HistoryQuery = Omit<ClientPayloads[ClientEvent.History], 'ref'> & {
  limit: number;
};

/** The chat's rules. Knows sessions, not sockets: replies are returned, events go through the bus. */
@Injectable()
export class ChatService {
  private readonly caps: {
    perUser: number;
    perAddress: number;
    follows: number;
    roomsPerHour: number;
    roomHistoryTtl: number;
  };
  private sessionCount = 0;
  private readonly pageSize: number;
  private readonly seen: DmSeenWriter;

  constructor(
    private readonly access: RoomAccessService,
    private readonly bus: ChatBus,
    config: ConfigService,
    private readonly history: HistoryService,
    private readonly metrics: MetricsService,
    private readonly reads: ReadLeases,
    private readonly registry: SessionRegistry,
    private readonly rooms: RoomsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly users: UsersService,
    @Inject(INSTANCE_ID) readonly instanceId: string,
  ) {
    this.caps = {
      perUser: config.getOrThrow<number>('MAX_SESSIONS_PER_USER'),
      perAddress: config.getOrThrow<number>('MAX_CONNECTIONS_PER_ADDRESS'),
      follows: config.getOrThrow<number>('MAX_FOLLOWS_PER_USER'),
      roomsPerHour: config.getOrThrow<number>('ROOMS_CREATED_PER_HOUR'),
      roomHistoryTtl: config.getOrThrow<number>('ROOM_HISTORY_TTL_SECONDS'),
    };
    this.pageSize = config.getOrThrow<number>('REPLAY_PAGE_SIZE');
    this.seen = new DmSeenWriter((user, id) =>
      this.history.markDmsSeen(user, id),
    );
  }

  /** A DM reached one of `user`'s clients: it and every DM before it count as seen (see `ChatSession`). */
  dmWritten(user: string, id: string): void {
    this.seen.note(user, id);
  }

  /**
   * Enters the lobby, sends `welcome` (with where each stream the session reads stands: the client's
   * first cursors), and holds the DMs that no session of the user was sent, to be read page by page when
   * the session is released without a resume (see `ChatSession`). The session's channels are listened
   * to before anything is read, so what is stored later comes live.
   */
  async open(session: ChatSession): Promise<void> {
    const user = session.username;
    const [following, move] = await Promise.all([
      this.subscriptions.following(user),
      this.rooms.open(session, LOBBY),
    ]);
    const known = this.registry.hasUser(user);
    await this.registry.add(session);
    if (!known) await this.registry.setFollowing(user, following);
    await this.announce(user, move, '', LOBBY);
    // Read after the session's channels are heard: disabled while it was opening, the control event may
    // have gone before that.
    const [disabled, unread, heads] = await Promise.all([
      this.users.isDisabled(user),
      this.history.unreadDms(user, this.pageSize),
      this.history.counters([
        `room:${LOBBY}`,
        `dm:${user}`,
        ...following.map((target) => `said:${target}`),
      ]),
    ]);
    if (disabled) {
      session.close(CLOSE_ACCOUNT_DISABLED, ACCOUNT_DISABLED);
      return;
    }
    session.send(
      serverFrame(ServerEvent.Welcome, {
        username: user,
        instance: this.instanceId,
        room: LOBBY,
        unreadDms: unread.count,
        instances: this.rooms.instanceUrls(),
        cursors: toClientCursors(heads, user),
      }),
    );
    if (unread.count === 0) return;
    session.holdUnread(() =>
      this.frames(
        session,
        this.reads.leased(
          user,
          this.history.unreadReplay(user, unread, this.pageSize),
        ),
      ),
    );
  }

  /**
   * Takes a slot for a new connection of `user` from `address` and names its session; or says why it is
   * refused (MAX_SESSIONS_PER_USER, MAX_CONNECTIONS_PER_ADDRESS across the cluster). The check and the
   * slot are one step in Redis, so parallel upgrades never pass a cap. A disabled account never gets here:
   * the upgrade's token check refused it (and `open` checks again once the session listens).
   */
  async admit(
    user: string,
    address: string,
  ): Promise<{ sessionId: string } | { refusal: string }> {
    const sessionId = `${this.instanceId}/${++this.sessionCount}`;
    const admission = await this.rooms.admit(
      { id: sessionId, username: user, address },
      this.caps,
    );
    if (admission.admitted) return { sessionId };
    const { open } = admission;
    if (admission.cap === 'user')
      return {
        refusal: `${user} already has ${open} open ${open === 1 ? 'session' : 'sessions'} (MAX_SESSIONS_PER_USER=${this.caps.perUser}): close one first`,
      };
    return {
      refusal: `Too many connections from your address (MAX_CONNECTIONS_PER_ADDRESS=${this.caps.perAddress}): close some first`,
    };
  }

  /** Gives back the slot of an admitted connection whose session never opened (its upgrade failed). */
  async release(session: ClientSessionRef): Promise<void> {
    await this.rooms.close(session, '');
  }

  /** Takes the session out of its room and off this instance (disconnect, shutdown). */
  async close(session: ChatSession): Promise<void> {
    this.registry.remove(session);
    await this.seen.settled(session.username);
    const move = await this.rooms.close(session, session.room);
    await this.announce(session.username, move, session.room, '');
    if (move.emptied) await this.roomEmptied(session.room);
  }

  async send(
    session: ChatSession,
    text: string,
    cid?: string,
  ): Promise<Reply<Sent>> {
    const room = session.room;
    const publishing = this.publish(
      session,
      () =>
        this.bus.publishMessage(
          room,
          { from: session.username, text, cid },
          () => this.access.readers(room),
        ),
      { kind: 'message', target: room, cid },
    );
    // The first store step is issued by now: the session's next frame may start (ChatSession.enqueue).
    session.handOff();
    const outcome = await publishing;
    if (outcome.status === 'ok') this.metrics.published('message');
    return { id: outcome.id, room, ...(cid && { cid }) };
  }

  async dm(
    session: ChatSession,
    to: string,
    text: string,
    cid?: string,
  ): Promise<Reply<Sent>> {
    const target = await this.resolveUser(to);
    if (target === session.username)
      throw new ChatError(
        ErrorCode.BadRequest,
        'You cannot send a DM to yourself',
      );
    const draft: Draft = { from: session.username, text, cid };
    const publishing = this.publish(
      session,
      () => this.bus.publishDm(target, draft, session.id),
      { kind: 'dm', target, cid },
    );
    session.handOff();
    const [outcome, online] = await Promise.all([
      publishing,
      this.rooms.isOnline(target).catch(() => false),
    ]);
    if (outcome.status === 'ok') this.metrics.published('dm');
    return {
      id: outcome.id,
      to: target,
      delivered: online,
      ...(cid && { cid }),
    };
  }

  /*
   * The room's access step (bans, invites, the first joiner's ownership) comes before the move, and a ban
   * is looked for again after it: a ban whose removal step ran between the two finds the session in the
   * second look, which moves it back to the lobby, so a join that crosses a ban never stays in.
   */
  async join(session: ChatSession, room: string): Promise<Reply<Joined>> {
    const from = session.room;
    if (room !== from) {
      await this.admitToRoom(session.username, room);
      await this.mayEnter(session.username, room);
    }
    const move = await this.rooms.move(session, from, room);
    await this.registry.moveTo(session, room);
    if (move.userJoined && move.users === 1 && room !== LOBBY)
      await this.history.keepRoom(room);
    await this.announce(session.username, move, from, room);
    if (move.emptied) await this.roomEmptied(from);
    if (room !== from && room !== LOBBY) {
      const again = await this.access.enter(room, session.username);
      if (!again.allowed) {
        await this.join(session, LOBBY);
        this.refuseEntry(again, room);
      }
    }
    const stream = `room:${room}`;
    const [members, heads, settings] = await Promise.all([
      this.rooms.who(room),
      this.history.counters([stream]),
      this.access.settings(room),
    ]);
    return {
      room,
      users: move.users,
      members,
      cursor: heads.get(stream) ?? ZERO_ID,
      ...(settings.topic && { topic: settings.topic }),
      ...(settings.private && { private: true }),
      roles: RoomAccessService.roles(settings),
    };
  }

  /** Refuses a user who may not enter the room now (banned; a private room without an invite). */
  private async mayEnter(user: string, room: string): Promise<void> {
    const entry = await this.access.enter(room, user);
    if (!entry.allowed) this.refuseEntry(entry, room);
  }

  private refuseEntry(
    entry: { refusal: 'banned'; until: number } | { refusal: 'not-invited' },
    room: string,
  ): never {
    if (entry.refusal === 'banned')
      throw new ChatError(
        ErrorCode.Banned,
        `You are banned from #${room} ${untilText(entry.until)}`,
      );
    throw notInvited(room);
  }

  /** Refuses a non-member's read of a private room, with the same error whether or not the room exists. */
  private async mayRead(user: string, room: string): Promise<void> {
    if (!(await this.access.canRead(room, user))) throw notInvited(room);
  }

  /**
   * Lets the history of a room nobody is in expire after ROOM_HISTORY_TTL_SECONDS; the lobby's is kept.
   * Membership (rooms) and the stream (pubsub) are two steps: the move that emptied the room came first,
   * then the expiry is set, then membership is read again, and the expiry taken back if someone came
   * in meanwhile. A joiner who finds the room empty takes it back too (`join`), after its own move, and
   * every message posted takes it back (`append.lua`). A gateway that dies between the steps leaves the
   * history without expiry until the room empties again.
   */
  async roomEmptied(room: string): Promise<void> {
    const ttl = this.caps.roomHistoryTtl;
    if (room === LOBBY || ttl === 0) return;
    await this.history.expireRoom(room, ttl);
    if (await this.rooms.occupied(room)) await this.history.keepRoom(room);
  }

  /* A room is created when someone joins a name with no members and no history: ROOMS_CREATED_PER_HOUR per user. */
  private async admitToRoom(user: string, room: string): Promise<void> {
    if (room === LOBBY || (await this.rooms.occupied(room))) return;
    if (await this.history.hasRoom(room)) return;
    const limit = this.caps.roomsPerHour;
    const wait = await this.rooms.countCreation(user, limit);
    if (wait > 0)
      throw new ChatError(
        ErrorCode.RoomLimit,
        `You created ${limit} rooms in the last hour (ROOMS_CREATED_PER_HOUR=${limit}): join a room that exists, or create one in ${wait} s`,
      );
  }

  /** The rooms with someone in them, with their topics; private rooms are not listed. */
  async listRooms(): Promise<Reply<RoomsList>> {
    const rooms = await this.rooms.list();
    const described = await this.access.describe(rooms.map((r) => r.name));
    return {
      rooms: rooms.flatMap((room) => {
        const about = described.get(room.name);
        if (about?.private) return [];
        return [{ ...room, ...(about?.topic && { topic: about.topic }) }];
      }),
    };
  }

  async who(
    session: ChatSession,
    room = session.room,
  ): Promise<Reply<WhoList>> {
    await this.mayRead(session.username, room);
    const [users, settings] = await Promise.all([
      this.rooms.who(room),
      this.access.settings(room),
    ]);
    return { room, users, roles: RoomAccessService.roles(settings) };
  }

  async subscribe(
    session: ChatSession,
    user: string,
  ): Promise<Reply<SubscriptionChange>> {
    const target = await this.resolveUser(user);
    if (target === session.username)
      throw new ChatError(
        ErrorCode.BadRequest,
        'You cannot subscribe to yourself',
      );
    const cap = this.caps.follows;
    if (!(await this.subscriptions.subscribe(session.username, target, cap)))
      throw new ChatError(
        ErrorCode.FollowLimit,
        `You follow ${cap} users already (MAX_FOLLOWS_PER_USER=${cap}): unsubscribe from one first`,
      );
    await this.registry.follow(session.username, target, true);
    await this.bus.publishFollow({
      user: session.username,
      target,
      following: true,
    });
    const stream = `said:${target}`;
    const heads = await this.history.counters([stream]);
    return { user: target, cursor: heads.get(stream) ?? ZERO_ID };
  }

  async unsubscribe(
    session: ChatSession,
    user: string,
  ): Promise<Reply<SubscriptionChange>> {
    const target = await this.resolveUser(user);
    await this.subscriptions.unsubscribe(session.username, target);
    await this.bus.publishFollow({
      user: session.username,
      target,
      following: false,
    });
    return { user: target };
  }

  async page(
    session: ChatSession,
    query: HistoryQuery,
  ): Promise<Reply<HistoryPage>> {
    const user = session.username;
    if (query.with !== undefined) {
      const other = await this.resolveUser(query.with);
      const page = await this.leased(user, () =>
        this.history.dmPage(user, other, query.limit, query.before),
      );
      return { with: other, ...page };
    }
    const room = query.room ?? session.room;
    await this.mayRead(user, room);
    const page = await this.leased(user, () =>
      this.history.roomPage(room, query.limit, query.before),
    );
    return { room, ...page };
  }

  /**
   * Moves the session to `room`, then replays every stream it reads (`room:<room>`, `dm`, `said:<user>`
   * for each user followed) after the client's cursor for it, one stream after another, each in id
   * order, before the live frames held since it connected (see `ChatSession.release`). A stream without
   * a cursor is not replayed, except `dm`, which then replays the DMs no session of the user was sent.
   * Each replay reaches up to the stream's last id when the resume started; newer ones come live.
   */
  async resume(
    session: ChatSession,
    cursors: Cursors,
    room = session.room,
  ): Promise<Reply<Resumed>> {
    if (!session.holding)
      throw new ChatError(
        ErrorCode.BadRequest,
        'resume must be the first frame after welcome',
      );
    const user = session.username;
    try {
      if (room !== session.room) await this.join(session, room);
      const after = await this.cursorsToReplay(session, cursors);
      const heads = await this.history.heads(after);
      const missing = [...heads]
        .filter(([, head]) => !head.complete)
        .map(([stream]) => toClientStream(stream, user));
      const count = await session
        .release(
          this.frames(
            session,
            this.reads.leased(user, this.replayAll(after, heads)),
          ),
        )
        .catch(this.busy);
      return { count, complete: missing.length === 0, missing };
    } finally {
      await session.release();
    }
  }

  /* The streams the session reads that have a cursor, by the server's names (`dm:<user>`); `dm` defaults to the DM-seen mark. */
  private async cursorsToReplay(
    session: ChatSession,
    cursors: Cursors,
  ): Promise<Map<string, string>> {
    const user = session.username;
    const after = new Map<string, string>();
    const room = `room:${session.room}`;
    if (cursors[room] !== undefined) after.set(room, cursors[room]);
    for (const target of await this.subscriptions.following(user)) {
      const said = `said:${target}`;
      if (cursors[said] !== undefined) after.set(said, cursors[said]);
    }
    const dm =
      cursors[DM_STREAM] ??
      (await this.history.unreadDms(user, this.pageSize)).after.padStart(
        16,
        '0',
      );
    after.set(`dm:${user}`, dm);
    return after;
  }

  private async *replayAll(
    after: Map<string, string>,
    heads: Map<string, { head: string }>,
  ): AsyncGenerator<Stored & { stream: string }> {
    for (const [stream, cursor] of after) {
      const upTo = heads.get(stream)?.head ?? ZERO_ID;
      if (upTo <= cursor) continue;
      for await (const message of this.history.replay(
        stream,
        cursor,
        upTo,
        this.pageSize,
      ))
        yield { ...message, stream };
    }
  }

  /** Stored messages as the frames the session would have received live (the user's DMs by default). */
  private async *frames(
    session: ChatSession,
    messages: AsyncIterable<Stored & { stream?: string }>,
  ): AsyncGenerator<Replayed> {
    for await (const { stream, ...message } of messages) {
      const item = replayed(message, stream ?? `dm:${session.username}`);
      if (!item.readers || item.readers.includes(session.username)) yield item;
    }
  }

  /** `work` as one of the user's expensive reads in flight (MAX_READS_IN_FLIGHT_PER_USER). */
  private leased<T>(user: string, work: () => Promise<T>): Promise<T> {
    return this.reads.run(user, work).catch(this.busy);
  }

  /* Rethrows a read refused by the cap as the error the user sees, anything else as it was. */
  private readonly busy = (err: unknown): never => {
    if (!(err instanceof ReadsBusyError)) throw err;
    throw new ChatError(
      ErrorCode.TooManyReads,
      `You have ${err.limit} history reads or replays running already (MAX_READS_IN_FLIGHT_PER_USER): wait for one to finish, then try again`,
    );
  };

  /*
   * Turns the bus's refusals into the errors the sender sees; a user who keeps flooding is cut off. A
   * repeated cid is answered with the first reply only when it was for the same kind and target.
   */
  private async publish(
    session: ChatSession,
    attempt: () => Promise<Outcome>,
    message: { kind: 'message' | 'dm'; target: string; cid?: string },
  ): Promise<Extract<Outcome, { status: 'ok' | 'dup' }>> {
    const outcome = await this.attempt(session, attempt, message);
    if (outcome.status !== 'silenced') return outcome;
    throw new ChatError(
      outcome.kind === 'ban' ? ErrorCode.Banned : ErrorCode.Muted,
      `You are ${outcome.kind === 'ban' ? 'banned' : 'muted'} in #${message.target} ${untilText(outcome.until)}: your message was not stored`,
    );
  }

  private async attempt(
    session: ChatSession,
    attempt: () => Promise<Outcome>,
    message: { kind: 'message' | 'dm'; target: string; cid?: string },
  ): Promise<Extract<Outcome, { status: 'ok' | 'dup' | 'silenced' }>> {
    let outcome: Outcome;
    try {
      outcome = await attempt();
    } catch (err) {
      throw new ChatError(
        ErrorCode.Internal,
        isRedisOutOfMemory(err)
          ? `${STORE_FULL_MESSAGE}; nobody received the message`
          : 'The message could not be stored (the chat store is unreachable) and nobody received it: try again shortly',
      );
    }
    if (outcome.status === 'unknown') {
      throw new ChatError(
        ErrorCode.Timeout,
        'The chat store did not answer in time, so the message may or may not have been stored: send it again with the same cid, which never doubles it',
      );
    }
    if (outcome.status === 'rate') {
      this.metrics.rateLimited();
      // `strike` first: every refusal counts for the session, whatever Redis counted for the user.
      if (session.flood.strike() || outcome.cutOff)
        setImmediate(() =>
          session.close(
            CLOSE_POLICY,
            'Too many messages: rate limit exceeded repeatedly',
          ),
        );
      throw new ChatError(
        ErrorCode.RateLimited,
        'You are sending messages too fast: slow down and send this one again',
      );
    }
    if (outcome.status === 'late') {
      throw new ChatError(
        ErrorCode.Timeout,
        'The chat store answered too late, so the message was not stored: send it again',
      );
    }
    if (outcome.status === 'conflict') {
      const first =
        outcome.kind === 'dm'
          ? `a DM to ${outcome.target}`
          : `a message to #${outcome.target}`;
      throw new ChatError(
        ErrorCode.BadRequest,
        `cid "${message.cid}" was already used for ${first}: use a new cid`,
      );
    }
    return outcome;
  }

  /** The user's name as registered (names are case-insensitive). */
  private async resolveUser(user: string): Promise<string> {
    const name = await this.users.resolve(user);
    if (!name)
      throw new ChatError(ErrorCode.NotFound, `User "${user}" does not exist`);
    return name;
  }

  /** Tells the rooms the user left or entered (first or last session only). */
  private async announce(
    user: string,
    move: Move,
    from: string,
    to: string,
  ): Promise<void> {
    if (from && from !== to && move.userLeft)
      await this.bus.publishPresence({ room: from, user, action: 'leave' });
    if (to && from !== to && move.userJoined)
      await this.bus.publishPresence({ room: to, user, action: 'join' });
  }
}

const ZERO_ID = '0'.repeat(16);

/** "until <ISO time>", or "until lifted" when it does not end by itself (0). */
export function untilText(until: number): string {
  return until === 0
    ? 'until lifted'
    : `until ${new Date(until).toISOString()}`;
}

/** One error for a private room a user may not see, whether or not the room exists. */
function notInvited(room: string): ChatError {
  return new ChatError(
    ErrorCode.NotInvited,
    `#${room} is invite-only: ask its owner or an operator for an invite`,
  );
}

/** The stream's name as the client knows it: `dm` for the user's own inbox (`dm:<user>`). */
function toClientStream(stream: string, user: string): string {
  return stream === `dm:${user}` ? DM_STREAM : stream;
}

function toClientCursors(heads: Map<string, string>, user: string): Cursors {
  const cursors: Cursors = {};
  heads.forEach((id, stream) => (cursors[toClientStream(stream, user)] = id));
  return cursors;
}
