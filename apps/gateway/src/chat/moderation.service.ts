import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { ACCOUNT_DISABLED, UsersService } from '@app/auth';
import {
  CLOSE_ACCOUNT_DISABLED,
  ErrorCode,
  LOBBY,
  ModerationReply,
  NoticeAction,
  PrivateReply,
  Removed,
  ServerEvent,
  TopicReply,
} from '@app/protocol';
import { ChatBus, ControlEvent } from '@app/pubsub';
import { ActRefusal, RoomAccessService, RoomsService } from '@app/rooms';

import { ChatError } from './chat-error';
import { ChatService } from './chat.service';
import { serverFrame } from './delivery/frames';
import { SessionRegistry } from './delivery/session-registry.service';

type Reply<T> = Omit<T, 'ref'>;

/** An action on a user in a room, as `invite`, `kick`, `ban`... carry it. */
export interface UserAction {
  room: string;
  user: string;
  reason?: string;
  /** ban and mute: how long; absent, until lifted. */
  seconds?: number;
}

export type UserActionName = Exclude<NoticeAction, 'topic' | 'private'>;

/**
 * Room moderation and settings, by a room's owner or operators (over the WebSocket) or an admin (REST,
 * `actor` undefined), and disabling accounts. Each action is one checked step of the room's slot
 * (`RoomAccessService`); a ban or mute then sets the store step's own refusal (`ChatBus.silence`) and only
 * then answers, so no send stored after the reply comes from a banned or muted user. Kicks and bans reach
 * the user's sessions on every instance through the user's channel (`control`).
 */
@Injectable()
export class ModerationService {
  private readonly logger = new Logger(ModerationService.name);
  private readonly inviteTtl: number;

  constructor(
    private readonly access: RoomAccessService,
    private readonly bus: ChatBus,
    private readonly chat: ChatService,
    config: ConfigService,
    private readonly registry: SessionRegistry,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
  ) {
    this.inviteTtl = config.getOrThrow<number>('INVITE_TTL_SECONDS');
  }

  async userAction(
    actor: string | undefined,
    action: UserActionName,
    request: UserAction,
  ): Promise<Reply<ModerationReply>> {
    const { room, reason } = request;
    const user = await this.resolve(request.user);
    const value =
      action === 'invite'
        ? String(this.inviteTtl)
        : String(request.seconds ?? 0);
    const result = await this.access.act(room, action, actor, user, value);
    if (!result.done) throw refused(result.refusal, action, room, user);
    const until = result.until;
    if (action === 'ban' || action === 'mute')
      await this.bus.silence(room, user, action, until);
    if (action === 'unban' || action === 'unmute')
      await this.bus.silence(
        room,
        user,
        action === 'unban' ? 'ban' : 'mute',
        undefined,
      );
    const by = actor ?? 'admin';
    const timed = until !== undefined && until > 0;
    if (action === 'kick' || action === 'ban') {
      if (result.removed.length > 0 && room !== LOBBY)
        await this.bus.publishPresence({ room, user, action: 'leave' });
      await this.bus.publishControl({
        user,
        action,
        room,
        by,
        ...(reason && { reason }),
        ...(timed && { until }),
      });
    }
    await this.bus.publishNotice(room, {
      room,
      by,
      action,
      user,
      ...(reason && { reason }),
      ...(timed && { until }),
    });
    this.log(action, room, by, user);
    return { room, user, ...(timed && { until }) };
  }

  async topic(
    actor: string | undefined,
    room: string,
    text: string,
  ): Promise<Reply<TopicReply>> {
    await this.setting(actor, room, 'topic', text);
    await this.bus.publishNotice(room, {
      room,
      by: actor ?? 'admin',
      action: 'topic',
      text,
    });
    return { room, text };
  }

  async setPrivate(
    actor: string | undefined,
    room: string,
    on: boolean,
  ): Promise<Reply<PrivateReply>> {
    if (room === LOBBY)
      throw new ChatError(ErrorCode.BadRequest, `#${LOBBY} is always public`);
    await this.setting(actor, room, 'private', on ? '1' : '0');
    await this.bus.publishNotice(room, {
      room,
      by: actor ?? 'admin',
      action: 'private',
      on,
    });
    return { room, on };
  }

  /** Disables or enables an account; disabling closes its sessions on every instance. Null: no such account. */
  async setDisabled(name: string, disabled: boolean): Promise<string | null> {
    const user = await this.users.setDisabled(name, disabled);
    if (user && disabled)
      await this.bus.publishControl({ user, action: 'disable' });
    if (user) this.log(disabled ? 'disable' : 'enable', '', 'admin', user);
    return user;
  }

  /**
   * A control event for a user with sessions here: a disabled account's sessions close; a kicked or
   * banned user's sessions in the room go back to the lobby and are told, unless they joined again after
   * the removal (then Redis has them in the room: the event is stale for them).
   */
  async control(event: ControlEvent): Promise<void> {
    const sessions = this.registry.sessionsOf(event.user);
    if (event.action === 'disable') {
      sessions.forEach((session) =>
        session.close(CLOSE_ACCOUNT_DISABLED, ACCOUNT_DISABLED),
      );
      return;
    }
    const room = event.room ?? '';
    const removed: Removed = {
      room,
      action: event.action,
      by: event.by ?? 'admin',
      ...(event.reason && { reason: event.reason }),
      ...(event.until && { until: event.until }),
    };
    const frame = serverFrame(ServerEvent.Removed, removed);
    await Promise.all(
      sessions.map((session) =>
        session.enqueue(async () => {
          if (session.room !== room) return;
          if (room !== LOBBY) {
            if (await this.rooms.hasSession(room, session.id)) return;
            await this.chat.join(session, LOBBY);
          }
          session.send(frame);
        }),
      ),
    );
  }

  private async setting(
    actor: string | undefined,
    room: string,
    action: 'topic' | 'private',
    value: string,
  ): Promise<void> {
    const result = await this.access.act(room, action, actor, '', value);
    if (!result.done) throw refused(result.refusal, action, room, '');
    this.log(action, room, actor ?? 'admin', '');
  }

  private async resolve(name: string): Promise<string> {
    const user = await this.users.resolve(name);
    if (!user)
      throw new ChatError(ErrorCode.NotFound, `User "${name}" does not exist`);
    return user;
  }

  /* One structured line per action: never the reason or the topic (users' text). */
  private log(action: string, room: string, by: string, user: string): void {
    this.logger.log(`Moderation: ${by} ${action} ${user} in #${room}`, {
      action,
      room,
      by,
      user,
    });
  }
}

function refused(
  refusal: ActRefusal,
  action: string,
  room: string,
  user: string,
): ChatError {
  switch (refusal) {
    case 'self':
      return new ChatError(
        ErrorCode.BadRequest,
        `You cannot ${action} yourself`,
      );
    case 'owner-only':
      return new ChatError(
        ErrorCode.Forbidden,
        `Only the owner of #${room} can ${action}`,
      );
    case 'target':
      return new ChatError(
        ErrorCode.Forbidden,
        `${user} is an operator of #${room}: operators cannot ${action} each other; ask the owner`,
      );
    case 'owner-target':
      return new ChatError(
        ErrorCode.Forbidden,
        `${user} owns #${room}: nobody but an admin can ${action} the owner`,
      );
    default:
      return new ChatError(
        ErrorCode.Forbidden,
        room === LOBBY
          ? `Only admins moderate #${LOBBY}`
          : `You are not the owner or an operator of #${room}: only they can ${action}`,
      );
  }
}
