import { ApiProperty } from '@nestjs/swagger';

import { RoomCountDto } from './room-count.dto';

export class RoomListDto {
  @ApiProperty({ type: [RoomCountDto] })
  rooms: RoomCountDto[];
}
