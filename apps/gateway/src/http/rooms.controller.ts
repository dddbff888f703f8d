import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { RoomCount } from '@app/protocol';
import { RoomsService } from '@app/rooms';

import { RoomListDto } from '../openapi/dto/room-list.dto';

import { AdminTokenGuard } from './admin-token.guard';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('rooms')
@UseGuards(AdminTokenGuard)
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Every room with its user count across all instances (needs CHAT_ADMIN_TOKEN)',
  })
  @ApiOkResponse({
    type: RoomListDto,
    description: 'The rooms, each with its distinct users',
  })
  @ApiUnauthorizedResponse({
    description: 'Missing or wrong admin token, or CHAT_ADMIN_TOKEN is not set',
  })
  async list(): Promise<{ rooms: RoomCount[] }> {
    return { rooms: await this.rooms.list() };
  }
}
