import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { UsersService } from '@app/auth';
import {
  CLOSE_POLICY,
  DirectMessage,
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
  SubscriptionsService,
} from '@app/pubsub';
import { RedisEpoch } from '@app/redis';
import { INSTANCE_ID, Move, RoomsService } from '@app/rooms';

import { MetricsService } from '../metrics/metrics.service';

import { ChatError } from './chat-error';
import { ChatSession } from './chat-session';
import { serverFrame } from './frames';
import { SessionRegistry } from './session-registry.service';

type Reply<T> = Omit<T, 'ref'>;

export interface HistoryQuery {
  room?: string;
  with?: string;
  before?: string;
  limit: number;
}

/** The chat's rules. Knows sessions, not sockets: replies are returned, events go through the bus. */
@Injectable()
export class ChatService {
  private readonly caps: { perUser: number; perAddress: number };

  constructor(
    private readonly bus: ChatBus,
    config: ConfigService,
    private readonly epoch: RedisEpoch,
    private readonly history: HistoryService,
    private readonly metrics: MetricsService,
    private readonly registry: SessionRegistry,
    private readonly rooms: RoomsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly users: UsersService,
    @Inject(INSTANCE_ID) readonly instanceId: string,
  ) {
    this.caps = {
      perUser: config.getOrThrow<number>('MAX_SESSIONS_PER_USER'),
      perAddress: config.getOrThrow<number>('MAX_CONNECTIONS_PER_ADDRESS'),
    };
  }

  /** Enters the lobby, sends `welcome`, and holds the DMs that arrived while the user was away (see `ChatSession`). */
  async open(session: ChatSession): Promise<void> {
    const move = await this.rooms.open(session, LOBBY);
    const known = this.registry.hasUser(session.username);
    this.registry.add(session);
    if (!known)
      this.registry.setFollowing(
        session.username,
        await this.subscriptions.following(session.username),
      );
    await this.announce(session.username, move, '', LOBBY);
    const unread = await this.history.unreadDms(session.username);
    session.send(
      serverFrame(ServerEvent.Welcome, {
        username: session.username,
        instance: this.instanceId,
        room: LOBBY,
        unreadDms: unread.length,
        instances: this.rooms.instanceUrls(),
      }),
    );
    session.holdUnread(
      unread.map((dm) => ({
        id: dm.id,
        frame: serverFrame(ServerEvent.Dm, dm),
      })),
    );
  }

  /**
   * Why a new connection of `user` from `address` is refused (MAX_SESSIONS_PER_USER,
   * MAX_CONNECTIONS_PER_ADDRESS across the cluster), or undefined when it may open.
   */
  async refusal(user: string, address: string): Promise<string | undefined> {
    const { sessions, fromAddress } = await this.rooms.admission(user, address);
    if (sessions >= this.caps.perUser) {
      return `${user} already has ${sessions} open sessions (MAX_SESSIONS_PER_USER=${this.caps.perUser}): close one first`;
    }
    if (fromAddress >= this.caps.perAddress) {
      return `Too many connections from your address (MAX_CONNECTIONS_PER_ADDRESS=${this.caps.perAddress}): close some first`;
    }
    return undefined;
  }

  /** Takes the session out of its room and off this instance (disconnect, shutdown). */
  async close(session: ChatSession): Promise<void> {
    this.registry.remove(session);
    await this.announce(
      session.username,
      await this.rooms.close(session, session.room),
      session.room,
      '',
    );
  }

  async send(
    session: ChatSession,
    text: string,
    cid?: string,
  ): Promise<Reply<Sent>> {
    const outcome = await this.publish(session, () =>
      this.bus.publishMessage(session.room, {
        from: session.username,
        text,
        cid,
      }),
    );
    if (outcome.status === 'ok') this.metrics.published('message');
    if (outcome.status === 'dup')
      return { id: outcome.id, room: outcome.target, ...(cid && { cid }) };
    return { id: outcome.id, room: session.room, ...(cid && { cid }) };
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
    const outcome = await this.publish(session, () =>
      this.bus.publishDm(target, draft, session.id),
    );
    if (outcome.status === 'ok') this.metrics.published('dm');
    return {
      id: outcome.id,
      to: target,
      delivered: outcome.delivered,
      ...(cid && { cid }),
    };
  }

  async join(session: ChatSession, room: string): Promise<Reply<Joined>> {
    const from = session.room;
    const move = await this.rooms.move(session, from, room);
    this.registry.moveTo(session, room);
    await this.announce(session.username, move, from, room);
    return { room, users: move.users, members: await this.rooms.who(room) };
  }

  async listRooms(): Promise<Reply<RoomsList>> {
    return { rooms: await this.rooms.list() };
  }

  async who(
    session: ChatSession,
    room = session.room,
  ): Promise<Reply<WhoList>> {
    return { room, users: await this.rooms.who(room) };
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
    await this.subscriptions.subscribe(session.username, target);
    await this.bus.publishFollow({
      user: session.username,
      target,
      following: true,
    });
    return { user: target };
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
    if (query.with !== undefined) {
      const other = await this.resolveUser(query.with);
      return {
        with: other,
        ...(await this.history.dmPage(
          session.username,
          other,
          query.limit,
          query.before,
        )),
      };
    }
    const room = query.room ?? session.room;
    return {
      room,
      ...(await this.history.roomPage(room, query.limit, query.before)),
    };
  }

  /**
   * Moves the session to `room`, then replays every stored frame it would have received after `since`,
   * before the live frames held since it connected (see `ChatSession.release`).
   */
  async resume(
    session: ChatSession,
    since: string,
    room = session.room,
  ): Promise<Reply<Resumed>> {
    if (!session.holding)
      throw new ChatError(
        ErrorCode.BadRequest,
        'resume must be the first frame after welcome',
      );
    try {
      if (room !== session.room) await this.join(session, room);
      const followed = await this.subscriptions.following(session.username);
      const scope = {
        rooms: [session.room],
        users: [session.username],
        followed,
      };
      const { messages, complete } = await this.history.after(
        scope,
        since,
        this.epoch.current?.floor,
      );
      const count = session.release(
        messages.map((message) => ({
          id: message.id,
          frame: this.replayFrame(session, message),
        })),
      );
      return { since, count, complete };
    } finally {
      session.release();
    }
  }

  private replayFrame(
    session: ChatSession,
    message: DirectMessage | { room: string; id: string },
  ): string {
    if (!('room' in message)) return serverFrame(ServerEvent.Dm, message);
    return serverFrame(
      ServerEvent.Message,
      message.room === session.room
        ? message
        : { ...message, via: 'subscription' },
    );
  }

  /* Turns the bus's refusals into the errors the sender sees; a user who keeps flooding is cut off. */
  private async publish(
    session: ChatSession,
    attempt: () => Promise<Outcome>,
  ): Promise<Outcome & { status: 'ok' | 'dup' }> {
    let outcome: Outcome;
    try {
      outcome = await attempt();
    } catch {
      throw new ChatError(
        ErrorCode.Internal,
        'The message could not be stored (the chat store is unreachable) and nobody received it: try again shortly',
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
      if (outcome.cutOff)
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
