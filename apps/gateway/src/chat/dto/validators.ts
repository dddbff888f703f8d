import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

import { ErrorCode, MAX_TEXT_LENGTH, NAME_PATTERN, NAME_RULE } from '@app/protocol';

/** A user or room name. */
export const IsChatName = (field: string): PropertyDecorator =>
  applyDecorators(
    IsString({ message: `${field} must be a string: ${NAME_RULE}` }),
    Matches(NAME_PATTERN, { message: ({ value }) => `${field} ${JSON.stringify(value)} is invalid: ${NAME_RULE}` }),
  );

/** Message text: 1 to MAX_TEXT_LENGTH characters, not only whitespace; too long is TOO_LARGE. */
export const IsChatText = (): PropertyDecorator =>
  applyDecorators(
    IsString({ message: 'text must be a string' }),
    MinLength(1, { message: 'text must not be empty' }),
    Matches(/\S/, { message: 'text must not be only whitespace' }),
    MaxLength(MAX_TEXT_LENGTH, {
      message: ({ value }) => `text is ${String(value).length} characters; the limit is ${MAX_TEXT_LENGTH}`,
      context: { code: ErrorCode.TooLarge },
    }),
  );
