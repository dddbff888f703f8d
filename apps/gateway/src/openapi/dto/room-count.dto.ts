import { ApiProperty } from '@nestjs/swagger';

import { RoomCount } from '@app/protocol';

export class RoomCountDto implements RoomCount {
  @ApiProperty({ example: 'room1' })
  name: string;

  @ApiProperty({
    description: 'Distinct users in the room across every instance',
    example: 2,
  })
  users: number;
}
