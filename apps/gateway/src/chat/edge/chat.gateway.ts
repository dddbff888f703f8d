// edge/: the WebSocket edge. The adapter reads frames off sockets (flood guard, parser, per-session queue),
// guards and pipes check them, this gateway hands each command to ChatService, and the filter turns failures
// into `error` frames. Nothing here knows Redis.
import {
  BeforeApplicationShutdown,
  Logger,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
  WsResponse,
} from '@nestjs/websockets';

import {
  ClientEvent,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL,
  CLOSE_SERVICE_RESTART,
  HistoryPage,
  Joined,
  LOBBY,
  ModerationReply,
  PrivateReply,
  ReconnectNotice,
  Ref,
  Resumed,
  RoomsList,
  Sent,
  ServerEvent,
  SubscriptionChange,
  TopicReply,
  WhoList,
  WS_PATH,
} from '@app/protocol';

import { SessionLog } from '../../logging/session-log.service';
import { MetricsService } from '../../metrics/metrics.service';

import { ChatErrorFilter } from './chat-error.filter';
import { ChatSession } from '../delivery/chat-session';
import { ChatSocket, UpgradeRequest } from './chat-ws.adapter';
import { ChatService } from '../chat.service';
import { ModerationService, UserActionName } from '../moderation.service';
import { CurrentSession } from './current-session.decorator';
import { FloodGuard } from './flood-guard';
import {
  BanData,
  DmData,
  FrameSchemas,
  HistoryData,
  JoinData,
  KickData,
  MuteData,
  PrivateData,
  RefData,
  ResumeData,
  RoomUserData,
  TopicData,
  SendData,
  UserData,
  WhoData,
} from './frame-schema';
import { serverFrame } from '../delivery/frames';
import { InstanceHeartbeat } from '../cluster/instance-heartbeat.service';
import { SchemaPipe } from './schema.pipe';
import { SessionGuard } from './session.guard';
import { SessionRegistry } from '../delivery/session-registry.service';
import { socketLink } from './socket-link';

const reply =
  <T>(event: ServerEvent, ref: Ref | undefined) =>
  (data: Omit<T, 'ref'>): WsResponse<T> => ({
    event,
    data: { ...(ref !== undefined && { ref }), ...data } as T,
  });

const body = <T>(
  schema: (data: Record<string, unknown>) => T,
): ParameterDecorator => MessageBody(new SchemaPipe(schema));

/** The WebSocket edge: one line per chat command, each a call of `ChatService`; sessions open and close here. */
@WebSocketGateway({ path: WS_PATH })
@UseGuards(SessionGuard)
@UseFilters(ChatErrorFilter)
export class ChatGateway
  implements OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown
{
  private readonly logger = new Logger(ChatGateway.name);

  constructor(
    private readonly chat: ChatService,
    private readonly config: ConfigService,
    private readonly heartbeat: InstanceHeartbeat,
    private readonly metrics: MetricsService,
    private readonly moderation: ModerationService,
    private readonly registry: SessionRegistry,
    private readonly sessionLog: SessionLog,
  ) {}

  handleConnection(ws: ChatSocket, req: UpgradeRequest): void {
    const { claims, sessionId } = req;
    if (!claims || !sessionId)
      return ws.close(CLOSE_GOING_AWAY, 'Not authenticated');
    // The closures below live as long as the session: none may capture `req` (V8 would keep it alive).
    const address = req.socket.remoteAddress;
    const maxBuffered = this.config.getOrThrow<number>('WS_MAX_BUFFERED_BYTES');
    const link = socketLink(
      ws,
      maxBuffered,
      Math.min(
        this.config.getOrThrow<number>('REPLAY_MAX_BUFFERED_BYTES'),
        maxBuffered / 2,
      ),
      () => this.metrics.slowConsumerClosed(),
    );
    const session = (ws.session = new ChatSession(
      sessionId,
      claims.sub,
      claims,
      link,
      address,
      new FloodGuard({
        perSecond: this.config.getOrThrow<number>('RATE_LIMIT_PER_SECOND'),
        burst: this.config.getOrThrow<number>('RATE_LIMIT_BURST'),
        strikes: this.config.getOrThrow<number>('RATE_LIMIT_STRIKES'),
      }),
      (id) => this.chat.dmWritten(claims.sub, id),
    ));
    void session.enqueue(() =>
      this.chat.open(session).then(
        () => this.sessionLog.opened(session, address),
        (err: Error) => {
          this.logger.warn(
            `Could not open a session for ${session.username}: ${err.message}`,
          );
          session.close(
            CLOSE_INTERNAL,
            'The chat store is unreachable; reconnect shortly',
          );
        },
      ),
    );
    // A client that does not resume at once gets its held live frames anyway (after any frame in progress).
    setTimeout(
      () => void session.enqueue(() => this.release(session)),
      this.config.getOrThrow<number>('RESUME_WAIT_MS'),
    ).unref();
  }

  handleDisconnect(ws: ChatSocket): void {
    const session = ws.session;
    if (!session) return;
    this.sessionLog.closed(session);
    void session.finish(() => this.leave(session));
  }

  /*
   * The drain, in this order: sessions leave their rooms (others are told) while Redis is still connected,
   * then each is told `reconnect` (to spread its clients' return over RECONNECT_WINDOW_MS) and closed with
   * 1012, then the instance de-registers. New upgrades are refused by then.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const sessions = this.registry.all();
    sessions.forEach((session) => session.stopReplay());
    await Promise.all(
      sessions.map((session) => session.finish(() => this.leave(session))),
    );
    const notice = serverFrame(ServerEvent.Reconnect, {
      withinMs: this.config.getOrThrow<number>('RECONNECT_WINDOW_MS'),
    } satisfies ReconnectNotice);
    sessions.forEach((session) => {
      session.send(notice);
      session.close(CLOSE_SERVICE_RESTART, 'Server restarting: reconnect');
    });
    await this.heartbeat.retire();
  }

  @SubscribeMessage(ClientEvent.Send)
  send(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.send) data: SendData,
  ): Promise<WsResponse<Sent>> {
    return this.chat
      .send(session, data.text, data.cid)
      .then(reply(ServerEvent.Sent, data.ref));
  }

  @SubscribeMessage(ClientEvent.Dm)
  dm(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.dm) data: DmData,
  ): Promise<WsResponse<Sent>> {
    return this.chat
      .dm(session, data.to, data.text, data.cid)
      .then(reply(ServerEvent.Sent, data.ref));
  }

  @SubscribeMessage(ClientEvent.Join)
  join(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.join) data: JoinData,
  ): Promise<WsResponse<Joined>> {
    return this.chat
      .join(session, data.room)
      .then(reply(ServerEvent.Joined, data.ref));
  }

  @SubscribeMessage(ClientEvent.Leave)
  leaveRoom(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.ref) data: RefData,
  ): Promise<WsResponse<Joined>> {
    return this.chat
      .join(session, LOBBY)
      .then(reply(ServerEvent.Joined, data.ref));
  }

  @SubscribeMessage(ClientEvent.Rooms)
  rooms(@body(FrameSchemas.ref) data: RefData): Promise<WsResponse<RoomsList>> {
    return this.chat.listRooms().then(reply(ServerEvent.Rooms, data.ref));
  }

  @SubscribeMessage(ClientEvent.Who)
  who(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.who) data: WhoData,
  ): Promise<WsResponse<WhoList>> {
    return this.chat
      .who(session, data.room)
      .then(reply(ServerEvent.Who, data.ref));
  }

  @SubscribeMessage(ClientEvent.Subscribe)
  subscribe(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.user) data: UserData,
  ): Promise<WsResponse<SubscriptionChange>> {
    return this.chat
      .subscribe(session, data.user)
      .then(reply(ServerEvent.Subscribed, data.ref));
  }

  @SubscribeMessage(ClientEvent.Unsubscribe)
  unsubscribe(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.user) data: UserData,
  ): Promise<WsResponse<SubscriptionChange>> {
    return this.chat
      .unsubscribe(session, data.user)
      .then(reply(ServerEvent.Unsubscribed, data.ref));
  }

  @SubscribeMessage(ClientEvent.History)
  history(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.history) data: HistoryData,
  ): Promise<WsResponse<HistoryPage>> {
    return this.chat
      .page(session, data)
      .then(reply(ServerEvent.History, data.ref));
  }

  @SubscribeMessage(ClientEvent.Resume)
  resume(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.resume) data: ResumeData,
  ): Promise<WsResponse<Resumed>> {
    return this.chat
      .resume(session, data.cursors, data.room)
      .then(reply(ServerEvent.Resumed, data.ref));
  }

  @SubscribeMessage(ClientEvent.Invite)
  invite(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.roomUser) data: RoomUserData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'invite', ServerEvent.Invited, data);
  }

  @SubscribeMessage(ClientEvent.Kick)
  kick(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.kick) data: KickData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'kick', ServerEvent.Kicked, data);
  }

  @SubscribeMessage(ClientEvent.Ban)
  ban(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.ban) data: BanData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'ban', ServerEvent.Banned, data);
  }

  @SubscribeMessage(ClientEvent.Unban)
  unban(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.roomUser) data: RoomUserData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'unban', ServerEvent.Unbanned, data);
  }

  @SubscribeMessage(ClientEvent.Mute)
  mute(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.mute) data: MuteData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'mute', ServerEvent.Muted, data);
  }

  @SubscribeMessage(ClientEvent.Unmute)
  unmute(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.roomUser) data: RoomUserData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'unmute', ServerEvent.Unmuted, data);
  }

  @SubscribeMessage(ClientEvent.Op)
  op(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.roomUser) data: RoomUserData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'op', ServerEvent.Opped, data);
  }

  @SubscribeMessage(ClientEvent.Deop)
  deop(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.roomUser) data: RoomUserData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'deop', ServerEvent.Deopped, data);
  }

  @SubscribeMessage(ClientEvent.Owner)
  owner(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.roomUser) data: RoomUserData,
  ): Promise<WsResponse<ModerationReply>> {
    return this.act(session, 'owner', ServerEvent.OwnerSet, data);
  }

  @SubscribeMessage(ClientEvent.Topic)
  topic(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.topic) data: TopicData,
  ): Promise<WsResponse<TopicReply>> {
    return this.moderation
      .topic(session.username, data.room, data.text)
      .then(reply(ServerEvent.Topic, data.ref));
  }

  @SubscribeMessage(ClientEvent.Private)
  setPrivate(
    @CurrentSession() session: ChatSession,
    @body(FrameSchemas.private) data: PrivateData,
  ): Promise<WsResponse<PrivateReply>> {
    return this.moderation
      .setPrivate(session.username, data.room, data.on)
      .then(reply(ServerEvent.Private, data.ref));
  }

  private act(
    session: ChatSession,
    action: UserActionName,
    event: ServerEvent,
    data: RoomUserData & { reason?: string; seconds?: number },
  ): Promise<WsResponse<ModerationReply>> {
    return this.moderation
      .userAction(session.username, action, data)
      .then(reply(event, data.ref));
  }

  /* Without a resume: the unread DMs, then the live frames. A catch-up that fails leaves them unread. */
  private async release(session: ChatSession): Promise<void> {
    await session
      .release()
      .catch((err: Error) =>
        this.logger.warn(
          `Could not send ${session.username}'s unread DMs (they stay unread): ${err.message}`,
        ),
      );
  }

  private leave(session: ChatSession): Promise<void> {
    return this.chat
      .close(session)
      .catch((err: Error) =>
        this.logger.warn(
          `Could not remove ${session.username}'s session ${session.id}: ${err.message}`,
        ),
      );
  }
}
