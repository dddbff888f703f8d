import {
  BadRequestException,
  Controller,
  Get,
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import {
  BadRoomCursorError,
  RoomAccessService,
  RoomPage,
  RoomsService,
} from '@app/rooms';

import { RoomListDto } from '../openapi/dto/room-list.dto';

import { AdminTokenGuard } from './admin-token.guard';
import { httpValidationPipe } from './http-errors';
import { RoomsQueryDto } from './rooms-query.dto';

const DEFAULT_LIMIT = 100;

@ApiTags('admin')
@ApiBearerAuth()
@Controller('rooms')
@UseGuards(AdminTokenGuard)
export class RoomsController {
  constructor(
    private readonly access: RoomAccessService,
    private readonly rooms: RoomsService,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'The rooms with their user counts across all instances, by name, a page at a time (needs CHAT_ADMIN_TOKEN)',
  })
  @ApiOkResponse({
    type: RoomListDto,
    description: 'A page of rooms, each with its distinct users',
  })
  @ApiBadRequestResponse({ description: 'A limit or cursor that is not valid' })
  @ApiUnauthorizedResponse({
    description: 'Missing or wrong admin token, or CHAT_ADMIN_TOKEN is not set',
  })
  async list(
    @Query(httpValidationPipe) query: RoomsQueryDto,
  ): Promise<RoomPage> {
    const limit = query.limit ? Number(query.limit) : DEFAULT_LIMIT;
    const page = await this.rooms
      .page(query.cursor, limit)
      .catch((err: unknown) => {
        if (err instanceof BadRoomCursorError)
          throw new BadRequestException(err.message);
        throw err;
      });
    const about = await this.access.describe(page.rooms.map((r) => r.name));
    return {
      ...page,
      rooms: page.rooms.map((room) => {
        const { topic, private: hidden } = about.get(room.name) ?? {};
        return {
          ...room,
          ...(topic && { topic }),
          ...(hidden && { private: true }),
        };
      }),
    };
  }
}
