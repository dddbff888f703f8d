import { Controller, Get, UseGuards } from '@nestjs/common';

import { RoomCount } from '@app/protocol';
import { RoomsService } from '@app/rooms';

import { AdminTokenGuard } from './admin-token.guard';

@Controller('rooms')
@UseGuards(AdminTokenGuard)
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Get()
  async list(): Promise<{ rooms: RoomCount[] }> {
    return { rooms: await this.rooms.list() };
  }
}
