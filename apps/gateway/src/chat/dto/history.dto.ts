import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from '@app/protocol';

import { IsChatName } from './validators';
import { MESSAGE_ID_PATTERN, RefDto } from './ref.dto';

export class HistoryDto extends RefDto {
  @IsOptional()
  @IsChatName('room')
  room?: string;

  @IsOptional()
  @IsChatName('with')
  with?: string;

  @IsOptional()
  @Matches(MESSAGE_ID_PATTERN, { message: 'before must be a message id (a string of up to 16 digits)' })
  before?: string;

  @IsOptional()
  @IsInt({ message: `limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}` })
  @Max(HISTORY_MAX_LIMIT, { message: `limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}` })
  limit: number = HISTORY_DEFAULT_LIMIT;
}
