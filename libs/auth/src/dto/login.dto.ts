import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MinLength, ValidateBy } from 'class-validator';

import {
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  NAME_PATTERN,
  NAME_RULE,
} from '@app/protocol';

/** At most `max` bytes in UTF-8: checked before anything expensive (hashing) runs. */
const MaxUtf8Bytes = (max: number, message: string): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxUtf8Bytes',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
      },
      constraints: [max],
    },
    { message },
  );

/** `{username, password}`: for POST /auth/login and POST /admin/users. */
export class LoginDto {
  @ApiProperty({ pattern: NAME_PATTERN.source, example: 'alice' })
  @IsString({ message: 'username must be a string' })
  @Matches(NAME_PATTERN, { message: `username is invalid: ${NAME_RULE}` })
  username: string;

  @ApiProperty({
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_BYTES,
    format: 'password',
  })
  @ApiProperty({
    minLength: MIN_PASSWORD_LENGTH,
    description: `at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`,
    format: 'password',
  })
  @IsString({ message: 'password must be a string' })
  @MinLength(MIN_PASSWORD_LENGTH, {
    message: `password must be at least ${MIN_PASSWORD_LENGTH} character`,
  })
  @MaxUtf8Bytes(
    MAX_PASSWORD_BYTES,
    `password is too long: use at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`,
  )
  password: string;
}
