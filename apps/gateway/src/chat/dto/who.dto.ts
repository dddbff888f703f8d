import { IsOptional } from 'class-validator';

import { IsChatName } from './validators';
import { RefDto } from './ref.dto';

export class WhoDto extends RefDto {
  @IsOptional()
  @IsChatName('room')
  room?: string;
}
