import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { RoomCount } from '@app/protocol';

export class RoomCountDto implements RoomCount {
  @ApiProperty({ example: 'room1' })
  name: string;

  @ApiProperty({
    description: 'Distinct users in the room across every instance',
    example: 2,
  })
  users: number;

  @ApiPropertyOptional({ description: "The room's topic, when it has one" })
  topic?: string;

  @ApiPropertyOptional({
    description: 'true for a private (invite-only) room; absent otherwise',
  })
  private?: boolean;
}
