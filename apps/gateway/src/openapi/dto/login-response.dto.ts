import { ApiProperty } from '@nestjs/swagger';

import { LoginResponse } from '@app/protocol';

export class LoginResponseDto implements LoginResponse {
  @ApiProperty({
    description:
      'Bearer token for the other endpoints and the WebSocket (`Authorization: Bearer`, or a ticket from POST /auth/ticket)',
  })
  token: string;

  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty({ description: 'True when this login registered the name' })
  created: boolean;
}
