import { BeforeApplicationShutdown, Logger, UseFilters, UsePipes } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  ConnectedSocket,
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
  Joined,
  LOBBY,
  RoomsList,
  Sent,
  ServerEvent,
  SubscriptionChange,
  WhoList,
  WS_PATH,
} from '@app/protocol';

import { SessionLog } from '../logging/session-log.service';
import { MetricsService } from '../metrics/metrics.service';

import { ChatErrorFilter } from './chat-error.filter';
import { ChatSession } from './chat-session';
import { chatValidationPipe } from './chat-validation.pipe';
import { ChatSocket, UpgradeRequest } from './chat-ws.adapter';
import { ChatService } from './chat.service';
import { DirectMessageDto } from './dto/direct-message.dto';
import { JoinRoomDto } from './dto/join-room.dto';
import { RefDto } from './dto/ref.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { UserTargetDto } from './dto/user-target.dto';
import { WhoDto } from './dto/who.dto';
import { serverFrame } from './frames';
import { SessionRegistry } from './session-registry.service';
import { socketLink } from './socket-link';

const reply =
  <T>(event: ServerEvent, ref: RefDto['ref']) =>
  (data: Omit<T, 'ref'>): WsResponse<T> => ({ event, data: { ...(ref !== undefined && { ref }), ...data } as T });

@WebSocketGateway({ path: WS_PATH })
@UseFilters(ChatErrorFilter)
@UsePipes(chatValidationPipe)
export class ChatGateway implements OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown {
  private readonly logger = new Logger(ChatGateway.name);
  private sessionCount = 0;

  constructor(
    private readonly chat: ChatService,
    private readonly config: ConfigService,
    private readonly registry: SessionRegistry,
    private readonly metrics: MetricsService,
    private readonly sessionLog: SessionLog,
  ) {}

  handleConnection(ws: ChatSocket, req: UpgradeRequest): void {
    const claims = req.claims;
    if (!claims) return ws.close(CLOSE_GOING_AWAY, 'Not authenticated');
    const link = socketLink(ws, this.config.getOrThrow<number>('WS_MAX_BUFFERED_BYTES'), () => this.metrics.slowConsumerClosed());
    const session = new ChatSession(`${this.chat.instanceId}/${++this.sessionCount}`, claims.sub, claims.exp * 1000, link);
    ws.session = session;
    void session.enqueue(async () => {
      try {
        session.send(serverFrame(ServerEvent.Welcome, await this.chat.open(session)));
        this.sessionLog.opened(session, req.socket.remoteAddress);
      } catch (err) {
        this.logger.error(`Could not open a session for ${session.username}: ${(err as Error).message}`);
        session.close(1011, 'The chat store is unreachable; reconnect shortly');
      }
    });
  }

  handleDisconnect(ws: ChatSocket): void {
    const session = ws.session;
    if (!session) return;
    this.sessionLog.closed(session);
    void session.enqueue(() =>
      this.chat.close(session).catch((err: Error) => this.logger.warn(`Could not record ${session.username}'s departure: ${err.message}`)),
    );
  }

  /* Sessions leave their rooms (and others are told) while Redis is still connected; then sockets close with 1001. */
  async beforeApplicationShutdown(): Promise<void> {
    const sessions = this.registry.all();
    await Promise.all(sessions.map((session) => session.enqueue(() => this.chat.close(session))));
    sessions.forEach((session) => session.close(CLOSE_GOING_AWAY, 'Server shutting down; reconnect'));
  }

  @SubscribeMessage(ClientEvent.Send)
  send(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: SendMessageDto): Promise<WsResponse<Sent>> {
    return this.chat.send(ws.session!, dto.text).then(reply(ServerEvent.Sent, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Join)
  join(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: JoinRoomDto): Promise<WsResponse<Joined>> {
    return this.chat.join(ws.session!, dto.room).then(reply(ServerEvent.Joined, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Leave)
  leave(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: RefDto): Promise<WsResponse<Joined>> {
    return this.chat.join(ws.session!, LOBBY).then(reply(ServerEvent.Joined, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Rooms)
  rooms(@MessageBody() dto: RefDto): Promise<WsResponse<RoomsList>> {
    return this.chat.listRooms().then(reply(ServerEvent.Rooms, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Dm)
  dm(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: DirectMessageDto): Promise<WsResponse<Sent>> {
    return this.chat.dm(ws.session!, dto.to, dto.text).then(reply(ServerEvent.Sent, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Subscribe)
  subscribe(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: UserTargetDto): Promise<WsResponse<SubscriptionChange>> {
    return this.chat.subscribe(ws.session!, dto.user).then(reply(ServerEvent.Subscribed, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Unsubscribe)
  unsubscribe(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: UserTargetDto): Promise<WsResponse<SubscriptionChange>> {
    return this.chat.unsubscribe(ws.session!, dto.user).then(reply(ServerEvent.Unsubscribed, dto.ref));
  }

  @SubscribeMessage(ClientEvent.Who)
  who(@ConnectedSocket() ws: ChatSocket, @MessageBody() dto: WhoDto): Promise<WsResponse<WhoList>> {
    return this.chat.who(ws.session!, dto.room).then(reply(ServerEvent.Who, dto.ref));
  }
}
