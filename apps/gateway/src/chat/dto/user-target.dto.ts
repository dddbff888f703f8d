import { IsChatName } from './validators';
import { RefDto } from './ref.dto';

export class UserTargetDto extends RefDto {
  @IsChatName('user')
  user: string;
}
