import { IsOptional, IsString, Matches } from 'class-validator';

import { IsChatName } from './validators';
import { MESSAGE_ID_PATTERN, RefDto } from './ref.dto';

export class ResumeDto extends RefDto {
  @IsString({ message: 'since must be a message id (a string of up to 16 digits)' })
  @Matches(MESSAGE_ID_PATTERN, { message: 'since must be a message id (a string of up to 16 digits)' })
  since: string;

  @IsOptional()
  @IsChatName('room')
  room?: string;
}
