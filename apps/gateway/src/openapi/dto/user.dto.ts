import { ApiProperty } from '@nestjs/swagger';

import { AuthenticatedUser } from '@app/auth';

export class UserDto implements AuthenticatedUser {
  @ApiProperty({ example: 'alice' })
  username: string;
}
