import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH, NAME_PATTERN, NAME_RULE } from '@app/protocol';

export class LoginDto {
  @ApiProperty({ pattern: NAME_PATTERN.source, example: 'alice' })
  @IsString({ message: 'username must be a string' })
  @Matches(NAME_PATTERN, { message: `username is invalid: ${NAME_RULE}` })
  username: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_BYTES, format: 'password' })
  @IsString({ message: 'password must be a string' })
  @Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_BYTES, {
    message: `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_BYTES} characters`,
  })
  password: string;
}
