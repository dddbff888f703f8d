import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import {
  ErrorCode,
  ModerationReply,
  NAME_PATTERN,
  NAME_RULE,
  PrivateReply,
  TopicReply,
} from '@app/protocol';

import { ChatError } from '../chat/chat-error';
import { ModerationService, UserActionName } from '../chat/moderation.service';

import { AdminTokenGuard } from './admin-token.guard';
import {
  RoomPrivateDto,
  RoomTopicDto,
  RoomUserActionDto,
} from './admin-rooms.dto';
import { httpValidationPipe } from './http-errors';

/** Room moderation by an admin (the admin token), in any room including `global`; every action is a room notice. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/rooms/:room')
@UseGuards(AdminTokenGuard)
@UsePipes(httpValidationPipe)
@ApiOkResponse({
  description: "Done; the body is the WebSocket reply frame's data",
})
@ApiBadRequestResponse({
  description: 'An invalid room, user, seconds, reason, topic or flag',
})
@ApiNotFoundResponse({ description: 'No such user' })
@ApiForbiddenResponse({
  description:
    'Not allowed (e.g. making #global private, or op/deop of the owner)',
})
@ApiUnauthorizedResponse({ description: 'Missing or wrong admin token' })
export class AdminRoomsController {
  constructor(private readonly moderation: ModerationService) {}

  @Post('invite')
  @HttpCode(200)
  @ApiOperation({ summary: 'Invite a user to a (private) room' })
  invite(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('invite', room, dto);
  }

  @Post('kick')
  @HttpCode(200)
  @ApiOperation({
    summary: "Take a user's sessions out of the room, on every instance",
  })
  kick(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('kick', room, dto);
  }

  @Post('ban')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ban a user from the room (for `seconds`, or until unbanned)',
  })
  ban(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('ban', room, dto);
  }

  @Post('unban')
  @HttpCode(200)
  @ApiOperation({ summary: "Lift a user's ban" })
  unban(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('unban', room, dto);
  }

  @Post('mute')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Refuse a user's sends to the room (for `seconds`, or until unmuted)",
  })
  mute(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('mute', room, dto);
  }

  @Post('unmute')
  @HttpCode(200)
  @ApiOperation({ summary: "Lift a user's mute" })
  unmute(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('unmute', room, dto);
  }

  @Post('op')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make a user an operator of the room' })
  op(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('op', room, dto);
  }

  @Post('deop')
  @HttpCode(200)
  @ApiOperation({ summary: "Take a user's operator role away" })
  deop(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('deop', room, dto);
  }

  @Post('owner')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Make a user the owner of the room (the old owner becomes an operator)',
  })
  owner(
    @Param('room') room: string,
    @Body() dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.act('owner', room, dto);
  }

  @Post('topic')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the room\'s topic ("" clears it)' })
  topic(
    @Param('room') room: string,
    @Body() dto: RoomTopicDto,
  ): Promise<TopicReply> {
    return this.moderation
      .topic(undefined, roomName(room), dto.text)
      .catch(toHttp);
  }

  @Post('private')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make the room invite-only, or open again' })
  setPrivate(
    @Param('room') room: string,
    @Body() dto: RoomPrivateDto,
  ): Promise<PrivateReply> {
    return this.moderation
      .setPrivate(undefined, roomName(room), dto.on)
      .catch(toHttp);
  }

  private act(
    action: UserActionName,
    room: string,
    dto: RoomUserActionDto,
  ): Promise<ModerationReply> {
    return this.moderation
      .userAction(undefined, action, { ...dto, room: roomName(room) })
      .catch(toHttp);
  }
}

function roomName(room: string): string {
  if (!NAME_PATTERN.test(room))
    throw new BadRequestException(
      `Room name ${JSON.stringify(room)} is invalid: ${NAME_RULE}`,
    );
  return room.toLowerCase();
}

/** The chat's refusals as HTTP errors with the same message. */
export function toHttp(err: unknown): never {
  if (!(err instanceof ChatError)) throw err;
  if (err.code === ErrorCode.NotFound) throw new NotFoundException(err.message);
  if (err.code === ErrorCode.Forbidden)
    throw new ForbiddenException(err.message);
  throw new BadRequestException(err.message);
}
