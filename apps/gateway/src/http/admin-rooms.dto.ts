import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

import {
  MAX_MODERATION_SECONDS,
  MAX_REASON_LENGTH,
  MAX_TOPIC_LENGTH,
  NAME_PATTERN,
  NAME_RULE,
} from '@app/protocol';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NO_CONTROL = /^[^\x00-\x1f\x7f-\x9f]*$/;

/** `POST /admin/rooms/:room/<action>`: the user acted on, and for kick, ban and mute how and why. */
export class RoomUserActionDto {
  @ApiProperty({ example: 'bob' })
  @Matches(NAME_PATTERN, { message: `user is invalid: ${NAME_RULE}` })
  user: string;

  @ApiPropertyOptional({
    description: `ban and mute: seconds, 1 to ${MAX_MODERATION_SECONDS}; omit for "until lifted"`,
  })
  @IsOptional()
  @IsInt({ message: 'seconds must be a whole number' })
  @Min(1, { message: `seconds must be 1 to ${MAX_MODERATION_SECONDS}` })
  @Max(MAX_MODERATION_SECONDS, {
    message: `seconds must be 1 to ${MAX_MODERATION_SECONDS}`,
  })
  seconds?: number;

  @ApiPropertyOptional({
    description: `kick and ban: why (shown to the user and stored in the room's notice), 1 to ${MAX_REASON_LENGTH} characters`,
  })
  @IsOptional()
  @IsString({ message: 'reason must be a string' })
  @MinLength(1, { message: 'reason must not be empty' })
  @MaxLength(MAX_REASON_LENGTH, {
    message: `reason may be at most ${MAX_REASON_LENGTH} characters`,
  })
  @Matches(NO_CONTROL, {
    message: 'reason may not contain control characters',
  })
  reason?: string;
}

export class RoomTopicDto {
  @ApiProperty({
    description: `The new topic, 0 to ${MAX_TOPIC_LENGTH} characters ("" clears it)`,
  })
  @IsString({ message: 'text must be a string' })
  @MaxLength(MAX_TOPIC_LENGTH, {
    message: `text may be at most ${MAX_TOPIC_LENGTH} characters`,
  })
  @Matches(NO_CONTROL, { message: 'text may not contain control characters' })
  text: string;
}

export class RoomPrivateDto {
  @ApiProperty({ description: 'true: invite-only; false: open to everyone' })
  @IsBoolean({ message: 'on must be true or false' })
  on: boolean;
}
