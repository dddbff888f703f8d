import { ApiProperty } from '@nestjs/swagger';

import { RoomCountDto } from './room-count.dto';

export class RoomListDto {
  @ApiProperty({ type: [RoomCountDto] })
  rooms: RoomCountDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Cursor of the next page (`?cursor=`), or null when this page is the last',
    example: null,
  })
  next: string | null;
}
