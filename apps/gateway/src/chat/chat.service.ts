import { Inject, Injectable } from '@nestjs/common';

import { UsersService } from '@app/auth';
import { ErrorCode, Joined, LOBBY, RoomsList, Sent, SubscriptionChange, Welcome, WhoList } from '@app/protocol';
import { ChatBus, SubscriptionsService } from '@app/pubsub';
import { INSTANCE_ID, Move, RoomsService } from '@app/rooms';

import { MetricsService } from '../metrics/metrics.service';

import { ChatError } from './chat-error';
import { ChatSession } from './chat-session';
import { SessionRegistry } from './session-registry.service';

type Reply<T> = Omit<T, 'ref'>;

/** The chat's rules. Knows sessions, not sockets: replies are returned, events go through the bus. */
@Injectable()
export class ChatService {
  constructor(
    private readonly bus: ChatBus,
    private readonly registry: SessionRegistry,
    private readonly rooms: RoomsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly users: UsersService,
    private readonly metrics: MetricsService,
    @Inject(INSTANCE_ID) readonly instanceId: string,
  ) {}

  async open(session: ChatSession): Promise<Welcome> {
    const move = await this.rooms.join(session, LOBBY);
    this.registry.add(session);
    await this.announce(session.username, move, LOBBY);
    return { username: session.username, instance: this.instanceId, room: LOBBY, unreadDms: 0 };
  }

  async close(session: ChatSession): Promise<void> {
    this.registry.remove(session);
    await this.announce(session.username, await this.rooms.exit(session));
  }

  async send(session: ChatSession, text: string): Promise<Reply<Sent>> {
    const { id } = await this.bus.publishMessage(session.username, session.room, text);
    this.metrics.published('message');
    return { id, room: session.room };
  }

  async join(session: ChatSession, room: string): Promise<Reply<Joined>> {
    const move = await this.rooms.join(session, room);
    this.registry.moveTo(session, room);
    await this.announce(session.username, move, room);
    return { room, users: move.users, members: await this.rooms.who(room) };
  }

  async listRooms(): Promise<Reply<RoomsList>> {
    return { rooms: await this.rooms.list() };
  }

  async who(session: ChatSession, room = session.room): Promise<Reply<WhoList>> {
    return { room, users: await this.rooms.who(room) };
  }

  async dm(session: ChatSession, to: string, text: string): Promise<Reply<Sent>> {
    if (to === session.username) throw new ChatError(ErrorCode.BadRequest, 'You cannot send a DM to yourself');
    await this.assertUserExists(to);
    if (!(await this.rooms.isOnline(to))) {
      throw new ChatError(ErrorCode.NotFound, `User "${to}" is not online; the message was not delivered`);
    }
    const { id } = await this.bus.publishDm(session.username, to, text, session.id);
    this.metrics.published('dm');
    return { id, to };
  }

  async subscribe(session: ChatSession, user: string): Promise<Reply<SubscriptionChange>> {
    if (user === session.username) throw new ChatError(ErrorCode.BadRequest, 'You cannot subscribe to yourself');
    await this.assertUserExists(user);
    await this.subscriptions.subscribe(session.username, user);
    return { user };
  }

  async unsubscribe(session: ChatSession, user: string): Promise<Reply<SubscriptionChange>> {
    await this.assertUserExists(user);
    await this.subscriptions.unsubscribe(session.username, user);
    return { user };
  }

  private async assertUserExists(user: string): Promise<void> {
    if (!(await this.users.exists(user))) throw new ChatError(ErrorCode.NotFound, `User "${user}" does not exist`);
  }

  /** Tells the rooms the user left or entered (first or last session only); `to` is the room moved to, if any. */
  private async announce(user: string, move: Move, to?: string): Promise<void> {
    if (move.from && move.userLeft) await this.bus.publishPresence({ room: move.from, user, action: 'leave' });
    if (to && move.userJoined) await this.bus.publishPresence({ room: to, user, action: 'join' });
  }
}
